import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import type { StepwiseOperations } from '../../shared/contract'
import { dispatch } from '../rpc/dispatch'
import { allowedOrigins, createSessionToken, hostAllowed, tokenMatches } from './access'
import { readStaticFile } from './static-files'

/** Options of the browser-mode server. */
export interface BrowserServerOptions {
  api: StepwiseOperations
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** 0 picks a free port. */
  port: number
  /** Fixed token for tests; a random one otherwise. */
  token?: string
}

/** A running browser-mode server. */
export interface BrowserServer {
  url: string
  port: number
  token: string
  close(): Promise<void>
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY'
}

/** Largest RPC message accepted; generation parameters are a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 256 * 1024

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' })
  res.end(body)
}

/**
 * Serves the renderer bundle and the contract over a WebSocket, on 127.0.0.1 only. The page
 * must be opened with the per-start token; the socket additionally requires a loopback
 * `Origin` of this very port, so other web pages in the user's browser cannot drive it.
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? createSessionToken()
  let port = options.port

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, port)) {
      send(res, 421, 'Misdirected request', 'text/plain; charset=utf-8')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8')
      return
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const isPage = url.pathname === '/' || url.pathname === '/index.html'
    if (isPage && !tokenMatches(token, url.searchParams.get('token'))) {
      send(
        res,
        403,
        'Open Stepwise with the URL printed by `npm run web`.',
        'text/plain; charset=utf-8'
      )
      return
    }
    const file = await readStaticFile(options.rendererDir, url.pathname)
    if (file === null) {
      send(res, 404, 'Not found', 'text/plain; charset=utf-8')
      return
    }
    send(res, 200, file.body, file.contentType)
  }

  const server: Server = createServer((req, res) => {
    handleRequest(req, res).catch(() =>
      send(res, 500, 'Internal error', 'text/plain; charset=utf-8')
    )
  })
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const origin = req.headers.origin
    const ok =
      url.pathname === '/rpc' &&
      hostAllowed(req.headers.host, port) &&
      origin !== undefined &&
      allowedOrigins(port).includes(origin) &&
      tokenMatches(token, url.searchParams.get('token'))
    if (!ok) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.api))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate()
        sockets.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

interface RpcRequest {
  id: number
  op: unknown
  args: unknown
}

function parseRequest(data: string): RpcRequest | null {
  try {
    const value: unknown = JSON.parse(data)
    if (typeof value !== 'object' || value === null) return null
    const record = value as Record<string, unknown>
    if (typeof record['id'] !== 'number') return null
    return { id: record['id'], op: record['op'], args: record['args'] }
  } catch {
    return null
  }
}

function serveSocket(ws: WebSocket, api: StepwiseOperations): void {
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'binary requests are not accepted')
      return
    }
    const request = parseRequest(data.toString())
    if (request === null) {
      ws.send(
        JSON.stringify({
          id: null,
          envelope: {
            ok: false,
            error: {
              code: 'invalid-argument',
              message: 'malformed request: expected {id, op, args}'
            }
          }
        })
      )
      return
    }
    void dispatch(api, request.op, request.args).then((envelope) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: request.id, envelope }))
    })
  })
}
