import { OPERATION_NAMES } from '../../../shared/channels'
import type { StepwiseApi } from '../../../shared/contract'
import type { Envelope } from '../../../shared/errors'
import { StepwiseError, unwrapEnvelope } from '../../../shared/errors'

interface Pending {
  resolve: (envelope: Envelope<unknown>) => void
}

/**
 * The contract over the browser-mode WebSocket. Requests carry an id; replies carry the same
 * id and an envelope. The socket URL carries the per-start token the page was opened with.
 */
export function createWebSocketClient(url: string): StepwiseApi {
  const pending = new Map<number, Pending>()
  let nextId = 1
  const socket = new WebSocket(url)
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener(
      'error',
      () => reject(new StepwiseError('unavailable', 'cannot reach the Stepwise server')),
      { once: true }
    )
  })
  socket.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (typeof event.data !== 'string') return
    const message = JSON.parse(event.data) as { id: number | null; envelope: Envelope<unknown> }
    if (message.id === null) return
    pending.get(message.id)?.resolve(message.envelope)
    pending.delete(message.id)
  })
  socket.addEventListener('close', () => {
    for (const entry of pending.values()) {
      entry.resolve({
        ok: false,
        error: { code: 'unavailable', message: 'the connection to the Stepwise server closed' }
      })
    }
    pending.clear()
  })

  const call = async (op: string, args: unknown[]): Promise<unknown> => {
    await opened
    const id = nextId++
    const envelope = await new Promise<Envelope<unknown>>((resolve) => {
      pending.set(id, { resolve })
      socket.send(JSON.stringify({ id, op, args }))
    })
    return unwrapEnvelope(envelope)
  }

  const api: Record<string, unknown> = {}
  for (const op of OPERATION_NAMES) api[op] = (...args: unknown[]) => call(op, args)
  return api as unknown as StepwiseApi
}
