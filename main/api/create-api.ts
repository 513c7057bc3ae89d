import type { Capabilities, StepwiseOperations } from '../../shared/contract'
import { readCapabilities } from './capabilities'

/** What the API implementation needs from its host process. */
export interface ApiHost {
  appVersion: string
  mode: Capabilities['mode']
}

/** Implements the contract once; Electron IPC and the WebSocket server both call this object. */
export function createStepwiseApi(host: ApiHost): StepwiseOperations {
  return {
    async getCapabilities() {
      return readCapabilities(host.appVersion, host.mode)
    }
  }
}
