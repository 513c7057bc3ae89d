import type { OperationName } from '../../../shared/channels'
import type { StepwiseEvent } from '../../../shared/contract'
import type { Envelope } from '../../../shared/errors'

/**
 * What the Electron preload exposes as `window.stepwise`: one invoker per operation (resolving
 * to the handler's envelope) plus `onEvent`, which passes event payloads only.
 */
export type PreloadBridge = Record<
  OperationName,
  (...args: unknown[]) => Promise<Envelope<unknown>>
> & {
  onEvent(listener: (event: StepwiseEvent) => void): () => void
  /** Electron only: the path of a File the user dropped on the window ('' if it has none). */
  pathForFile?(file: File): string
}

declare global {
  interface Window {
    stepwise?: PreloadBridge
  }
}
