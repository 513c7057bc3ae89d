import { OPERATION_NAMES } from '../../../shared/channels'
import type { StepwiseApi, StepwiseEvent } from '../../../shared/contract'
import type { Envelope } from '../../../shared/errors'
import { StepwiseError, unwrapEnvelope } from '../../../shared/errors'
import { decodeMessage, encodeMessage } from '../../../shared/wire-codec'
import type { CallMessage, ServerMessage } from '../../../shared/ws-protocol'

type Resolve = (envelope: Envelope<unknown>) => void

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
 */
export function createWebSocketClient(url: string): StepwiseApi {
  const pending = new Map<number, Resolve>()
  const listeners = new Set<(event: StepwiseEvent) => void>()
  let nextId = 1
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener(
      'error',
      () => reject(new StepwiseError('unavailable', 'cannot reach the Stepwise server')),
      { once: true }
    )
  })
  // Calls made before the socket opens await `opened`; a failed connect must not also surface
  // as an unhandled rejection when nobody has called yet.
  opened.catch(() => undefined)

  socket.addEventListener('message', (event: MessageEvent<unknown>) => {
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
  })
  socket.addEventListener('close', () => {
    for (const resolve of pending.values()) {
      resolve({
        ok: false,
        error: { code: 'unavailable', message: 'the connection to the Stepwise server closed' }
      })
    }
    pending.clear()
  })

  const call = async (op: string, args: unknown[]): Promise<unknown> => {
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
  return api as unknown as StepwiseApi
}
