/**
 * Machine-readable reasons an operation can fail; the message says what was wrong.
 *
 * - `invalid-argument`: a payload failed its schema (missing, extra, wrongly typed or too long
 *   fields) or names something that does not exist in that role (an unknown model id).
 * - `not-found`: the job or history entry (or its preview step) does not exist.
 * - `conflict`: the request is valid but the target's state refuses it (the CFG cutoff step
 *   was already reached, the job already ended).
 * - `unavailable`: cannot serve now (queue full, no connection to main).
 * - `forbidden`: the caller is not allowed (an IPC sender that is not a Stepwise window).
 * - `failed`: the operation ran and failed (disk full, read-only folder, engine error).
 * - `unknown-operation`: no operation of that name.
 */
export type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'conflict'
  | 'unavailable'
  | 'forbidden'
  | 'failed'
  | 'unknown-operation'

/** The error shape that crosses process and network boundaries. */
export interface ErrorPayload {
  code: ErrorCode
  message: string
}

/** An operation's outcome as carried over IPC or WebSocket: thrown errors do not cross. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload }

/** The error the API throws on the calling side; `code` tells callers how to react. */
export class StepwiseError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'StepwiseError'
    this.code = code
  }

  /** The serialisable form of this error. */
  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message }
  }
}

/** Turns whatever was thrown into a payload without leaking stack traces. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof StepwiseError) return error.toPayload()
  if (error instanceof Error) return { code: 'failed', message: error.message }
  return { code: 'failed', message: String(error) }
}

/** Unwraps an envelope, re-throwing its error as a {@link StepwiseError}. */
export function unwrapEnvelope<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value
  throw new StepwiseError(envelope.error.code, envelope.error.message)
}
