import type { Capabilities, StepwiseApi } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { EventHub } from '../events/event-hub'
import { readCapabilities } from './capabilities'

/** What the API implementation needs from its host process. */
export interface ApiHost {
  appVersion: string
  mode: Capabilities['mode']
}

/** The main-process API: the contract's operations, its events, and shutdown. */
export interface MainApi extends StepwiseApi {
  /** The hub every connection subscribes to. */
  readonly events: EventHub
  /** Stops the worker and waits for pending history writes. */
  close(): Promise<void>
}

function notBuiltYet(operation: string): never {
  throw new StepwiseError('unavailable', `${operation} is not available in this build yet`)
}

/** Implements the contract once; Electron IPC and the WebSocket server both call this object. */
export function createStepwiseApi(host: ApiHost): MainApi {
  const events = new EventHub((error) => console.error('event listener failed:', error))
  return {
    events,
    onEvent: (listener) => events.subscribe(listener),
    async close() {},
    async getCapabilities() {
      return { ...readCapabilities(host.appVersion, host.mode), defaultModelId: null }
    },
    // Landed with the contract so both front ends can build against it; the models listing,
    // job queue and history replace these in the following commits.
    listModels: async () => notBuiltYet('listModels'),
    generate: async () => notBuiltYet('generate'),
    stop: async () => notBuiltYet('stop'),
    setCfgCutoff: async () => notBuiltYet('setCfgCutoff'),
    listJobs: async () => notBuiltYet('listJobs'),
    historyList: async () => notBuiltYet('historyList'),
    historyGet: async () => notBuiltYet('historyGet'),
    historyDelete: async () => notBuiltYet('historyDelete'),
    historyImage: async () => notBuiltYet('historyImage')
  }
}
