import WebSocket from 'ws'
import type { StepwiseEvent } from '../../shared/contract'
import type { Envelope } from '../../shared/errors'
import { decodeMessage, encodeMessage } from '../../shared/wire-codec'
import type { ServerMessage } from '../../shared/ws-protocol'
import { RPC_PATH } from '../../shared/ws-protocol'

/**
 * A second client of the browser-mode server, beside the page: the same WebSocket protocol the
 * page speaks (token, loopback Origin, wire-codec frames). The benchmark uses it for what the page
 * does not show: every step's report (metadata always arrives, previews are latest-wins), and
 * `inferenceStatus` for the inference process's memory.
 */
export class ApiSocket {
  private readonly waiters = new Map<number, (envelope: Envelope<unknown>) => void>()
  private readonly listeners = new Set<(event: StepwiseEvent) => void>()
  private nextId = 1

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = decodeMessage(data) as ServerMessage
      if (message.type === 'event') {
        for (const listener of [...this.listeners]) listener(message.event)
        return
      }
      if (message.id === null) return
      this.waiters.get(message.id)?.(message.envelope)
      this.waiters.delete(message.id)
    })
  }

  /** Connects to the server at `origin` with its session token. */
  static connect(origin: string, token: string): Promise<ApiSocket> {
    const url = `${origin.replace(/^http/, 'ws')}${RPC_PATH}?token=${encodeURIComponent(token)}`
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin })
      ws.once('open', () => resolve(new ApiSocket(ws)))
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
  }

  /** Calls one operation; resolves its value or rejects with the server's error message. */
  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, (envelope) => {
        if (envelope.ok) resolve(envelope.value as T)
        else reject(new Error(`${op}: ${envelope.error.message}`))
      })
      this.ws.send(encodeMessage({ type: 'call', id, op, args }))
    })
  }

  /** Listens to every event; returns the unsubscribe function. */
  onEvent(listener: (event: StepwiseEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Closes the connection. */
  close(): void {
    this.ws.close()
  }
}
