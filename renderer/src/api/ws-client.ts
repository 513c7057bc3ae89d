import { OPERATION_NAMES } from '../../../shared/channels'
import type { StepwiseApi, StepwiseEvent } from '../../../shared/contract'
import type { Envelope } from '../../../shared/errors'
import { StepwiseError, unwrapEnvelope } from '../../../shared/errors'
import { decodeMessage, encodeMessage } from '../../../shared/wire-codec'
import type { CallMessage, ServerMessage } from '../../../shared/ws-protocol'

type Resolve = (envelope: Envelope<unknown>) => void

/**
 * The line to the server as the page sees it: `connected`; `lost` (the socket closed: the server
 * stopped or the network dropped; the client keeps trying); `restarted` (the server answers but
 * refuses this page's token: it was restarted, and a restarted server prints a new URL).
 */
export type ConnectionState = 'connected' | 'lost' | 'restarted'

/** A client that says when its connection goes and comes back. */
export interface ConnectionAware {
  onConnection(listener: (state: ConnectionState) => void): () => void
}

/** Waits between reconnection attempts: quick at first, then every few seconds. */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 3000] as const

function isServerMessage(value: unknown): value is ServerMessage {
  if (typeof value !== 'object' || value === null) return false
  const type = (value as { type?: unknown }).type
  return type === 'reply' || type === 'event'
}

/**
 * The contract over the browser-mode WebSocket (protocol: shared/ws-protocol.ts, frames:
 * shared/wire-codec.ts, so previews and PNGs arrive as Uint8Arrays). Calls carry an id; replies
 * carry the same id. Events go to every `onEvent` listener. The socket URL carries the per-start
 * token the page was opened with.
 *
 * When the socket closes, the page is told at once (`onConnection`), calls fail with
 * `unavailable` instead of waiting, and the client reconnects when the server is back. Whether
 * the server is back, or was restarted with a new token, is asked of the page URL (`pageUrl`):
 * a browser does not say why a WebSocket upgrade failed.
 */
export function createWebSocketClient(
  url: string,
  pageUrl?: string
): StepwiseApi & ConnectionAware {
  const pending = new Map<number, Resolve>()
  const listeners = new Set<(event: StepwiseEvent) => void>()
  const connectionListeners = new Set<(state: ConnectionState) => void>()
  let nextId = 1
  let state: ConnectionState = 'connected'
  let socket: WebSocket
  let opened: Promise<void>
  let attempt = 0

  const tell = (next: ConnectionState): void => {
    if (next === state) return
    state = next
    for (const listener of [...connectionListeners]) listener(next)
  }

  const onMessage = (event: MessageEvent<unknown>): void => {
    if (!(event.data instanceof ArrayBuffer)) return
    let message: unknown
    try {
      message = decodeMessage(event.data)
    } catch (error) {
      console.error('unreadable message from the Stepwise server', error)
      return
    }
    if (!isServerMessage(message)) return
    if (message.type === 'event') {
      for (const listener of [...listeners]) {
        try {
          listener(message.event)
        } catch (error) {
          console.error('stepwise event listener failed', error)
        }
      }
      return
    }
    if (message.id === null) return
    pending.get(message.id)?.(message.envelope)
    pending.delete(message.id)
  }

  /** Asks the page URL whether the server is up, and whether it still knows this page's token. */
  const serverState = async (): Promise<'up' | 'down' | 'restarted'> => {
    if (pageUrl === undefined) return 'up'
    try {
      const response = await fetch(pageUrl, { cache: 'no-store' })
      await response.body?.cancel()
      return response.status === 403 ? 'restarted' : 'up'
    } catch {
      return 'down'
    }
  }

  const retry = (): void => {
    const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number
    attempt++
    setTimeout(() => {
      void serverState().then((server) => {
        if (server === 'restarted') {
          // This page's token is gone for good: only the new URL the server printed works.
          tell('restarted')
          return
        }
        if (server === 'down') retry()
        else connect()
      })
    }, delay)
  }

  const connect = (): void => {
    socket = new WebSocket(url)
    socket.binaryType = 'arraybuffer'
    opened = new Promise<void>((resolve, reject) => {
      socket.addEventListener(
        'open',
        () => {
          attempt = 0
          tell('connected')
          resolve()
        },
        { once: true }
      )
      socket.addEventListener(
        'error',
        () => reject(new StepwiseError('unavailable', 'cannot reach the Stepwise server')),
        { once: true }
      )
    })
    // Calls made before the socket opens await `opened`; a failed connect must not also surface
    // as an unhandled rejection when nobody has called yet.
    opened.catch(() => undefined)
    socket.addEventListener('message', onMessage)
    socket.addEventListener('close', () => {
      for (const resolve of pending.values()) {
        resolve({
          ok: false,
          error: { code: 'unavailable', message: 'the connection to the Stepwise server closed' }
        })
      }
      pending.clear()
      if (state !== 'restarted') tell('lost')
      if (state === 'lost') retry()
    })
  }
  connect()

  const call = async (op: string, args: unknown[]): Promise<unknown> => {
    if (state !== 'connected') {
      throw new StepwiseError(
        'unavailable',
        state === 'restarted'
          ? 'the Stepwise server was restarted: open the new URL it printed'
          : 'the Stepwise server cannot be reached (stopped?); reconnecting'
      )
    }
    await opened
    if (socket.readyState !== WebSocket.OPEN) {
      throw new StepwiseError('unavailable', 'the connection to the Stepwise server closed')
    }
    const id = nextId++
    const message: CallMessage = { type: 'call', id, op, args }
    const envelope = await new Promise<Envelope<unknown>>((resolve) => {
      pending.set(id, resolve)
      socket.send(encodeMessage(message))
    })
    return unwrapEnvelope(envelope)
  }

  const api: Record<string, unknown> = {}
  for (const op of OPERATION_NAMES) api[op] = (...args: unknown[]) => call(op, args)
  api['onEvent'] = (listener: (event: StepwiseEvent) => void) => {
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }
  api['onConnection'] = (listener: (state: ConnectionState) => void) => {
    connectionListeners.add(listener)
    return () => {
      connectionListeners.delete(listener)
    }
  }
  return api as unknown as StepwiseApi & ConnectionAware
}
