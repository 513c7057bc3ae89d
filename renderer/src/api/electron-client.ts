import { OPERATION_NAMES } from '../../../shared/channels'
import type { StepwiseApi } from '../../../shared/contract'
import { unwrapEnvelope } from '../../../shared/errors'
import type { PreloadBridge } from './bridge'

/**
 * The contract over Electron IPC: each call goes through the preload's named function and its
 * envelope is unwrapped (errors rethrown as StepwiseError); events come from the preload's
 * `onEvent`.
 */
export function createElectronClient(bridge: PreloadBridge): StepwiseApi {
  const api: Record<string, unknown> = {}
  for (const op of OPERATION_NAMES) {
    api[op] = async (...args: unknown[]) => unwrapEnvelope(await bridge[op](...args))
  }
  api['onEvent'] = bridge.onEvent
  return api as unknown as StepwiseApi
}
