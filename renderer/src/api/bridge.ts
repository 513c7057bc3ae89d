import type { OperationName } from '../../../shared/channels'
import type { Envelope } from '../../../shared/errors'

/** What the Electron preload exposes as `window.stepwise`: one invoker per operation. */
export type PreloadBridge = Record<
  OperationName,
  (...args: unknown[]) => Promise<Envelope<unknown>>
>

declare global {
  interface Window {
    stepwise?: PreloadBridge
  }
}
