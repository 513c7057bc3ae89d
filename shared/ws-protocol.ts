import type { StepwiseEvent } from './contract'
import type { Envelope } from './errors'

/**
 * Messages on the browser-mode WebSocket (`/rpc?token=…`). Every message is one binary frame of
 * shared/wire-codec.ts in both directions.
 *
 * - The page sends `call`s; `id` is the page's own counter.
 * - The server answers each call with one `reply` carrying the same id (id null when the frame
 *   could not be read at all), and pushes `event`s as they happen. Events that carry previews
 *   are delivered latest-wins (see `JobStepEvent.preview`).
 */

/** page → server: run one operation. */
export interface CallMessage {
  type: 'call'
  id: number
  op: string
  args: unknown[]
}

/** server → page: the outcome of one call. */
export interface ReplyMessage {
  type: 'reply'
  id: number | null
  envelope: Envelope<unknown>
}

/** server → page: one event. */
export interface EventMessage {
  type: 'event'
  event: StepwiseEvent
}

/** What the server sends. */
export type ServerMessage = ReplyMessage | EventMessage

/** The WebSocket path of the API. */
export const RPC_PATH = '/rpc'
