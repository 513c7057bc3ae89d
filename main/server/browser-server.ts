import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import type { RawData, WebSocket } from 'ws'
import type { StepwiseEvent, StepwiseOperations } from '../../shared/contract'
import { toErrorPayload } from '../../shared/errors'
import { decodeMessage, encodeMessage, WireCodecError } from '../../shared/wire-codec'
import { RPC_PATH } from '../../shared/ws-protocol'
import type { CallMessage, EventMessage, ReplyMessage } from '../../shared/ws-protocol'
import { LatestWinsOutbox } from '../events/latest-wins-outbox'
import type { EventTransport } from '../events/latest-wins-outbox'
import { dispatch } from '../rpc/dispatch'
import { MAX_INPUT_IMAGE_PAYLOAD_BYTES } from '../rpc/payload-size'
import { allowedOrigins, createSessionToken, hostAllowed, tokenMatches } from './access'
import { readStaticFile } from './static-files'

/** Where the server gets main's events from (main/events/event-hub.ts fits). */
export interface EventSource {
  subscribe(listener: (event: StepwiseEvent) => void): () => void
}

/** Options of the browser-mode server. */
export interface BrowserServerOptions {
  api: StepwiseOperations
  /** Events pushed to every connected page, previews latest-wins per connection. */
  events: EventSource
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

/** Largest RPC message accepted (an input picture upload); dispatch then applies each operation's own bound. */
export const MAX_MESSAGE_BYTES = MAX_INPUT_IMAGE_PAYLOAD_BYTES

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store' })
  res.end(body)
}

/**
 * Serves the renderer bundle and the contract over a WebSocket (shared/ws-protocol.ts, frames
 * in shared/wire-codec.ts), on 127.0.0.1 only. The page
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
      url.pathname === RPC_PATH &&
      hostAllowed(req.headers.host, port) &&
      origin !== undefined &&
      allowedOrigins(port).includes(origin) &&
      tokenMatches(token, url.searchParams.get('token'))
    if (!ok) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      socket.destroy()
      return
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.api, options.events))
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

/** The WebSocket as the outbox sees it (the `ws` library's socket fits). */
function socketTransport(ws: WebSocket): EventTransport {
  return {
    send: (event) => ws.send(encodeMessage({ type: 'event', event } satisfies EventMessage)),
    // `bufferedAmount` counts bytes `ws` has not yet handed to the kernel: 0 means the previous
    // preview is on its way, so the next may go.
    previewFlushed: () => ws.bufferedAmount === 0,
    isOpen: () => ws.readyState === ws.OPEN
  }
}

function reply(ws: WebSocket, message: ReplyMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message))
}

function readCall(data: RawData, isBinary: boolean): CallMessage | string {
  let value: unknown
  try {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
    // Text frames are plain JSON (handy for debugging with a WebSocket console); binary frames
    // use the wire codec.
    value = isBinary ? decodeMessage(bytes) : JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    return `malformed request: ${error instanceof WireCodecError ? error.message : 'not JSON'}`
  }
  if (typeof value !== 'object' || value === null) return 'malformed request: not an object'
  const record = value as Record<string, unknown>
  const id = record['id']
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return 'malformed request: expected {type: "call", id, op, args}'
  }
  if (record['type'] !== 'call' || !Array.isArray(record['args'])) {
    return `malformed request ${id}: expected {type: "call", id, op, args}`
  }
  return { type: 'call', id, op: String(record['op']), args: record['args'] as unknown[] }
}

function serveSocket(ws: WebSocket, api: StepwiseOperations, events: EventSource): void {
  const outbox = new LatestWinsOutbox(socketTransport(ws))
  const unsubscribe = events.subscribe((event) => outbox.push(event))
  ws.once('close', () => {
    unsubscribe()
    outbox.close()
  })
  // Protocol violations (oversized frames, bad opcodes) arrive as 'error' and then close the
  // socket; without a listener they would crash the whole server.
  ws.on('error', () => undefined)
  ws.on('message', (data, isBinary) => {
    const call = readCall(data, isBinary)
    if (typeof call === 'string') {
      reply(ws, {
        type: 'reply',
        id: null,
        envelope: { ok: false, error: { code: 'invalid-argument', message: call } }
      })
      return
    }
    void dispatch(api, call.op, call.args).then((envelope) => {
      try {
        reply(ws, { type: 'reply', id: call.id, envelope })
      } catch (error) {
        reply(ws, {
          type: 'reply',
          id: call.id,
          envelope: { ok: false, error: toErrorPayload(error) }
        })
      }
    })
  })
}
