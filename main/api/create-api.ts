import { join } from 'node:path'
import type { Capabilities, StepwiseApi } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { ModelRegistry } from '../models/model-registry'
import { readCapabilities } from './capabilities'

/** What the API implementation needs from its host process. */
export interface ApiHost {
  appVersion: string
  mode: Capabilities['mode']
  /** Per-user data folder; history lives in `<dataDir>/history`. */
  dataDir: string
  /** Folders whose subfolders are models (the shipped one first). */
  modelDirs: readonly string[]
  /** Where to report problems nobody asked about (skipped model folders). */
  log?: (message: string) => void
}

/** The main-process API: the contract's operations, its events, and shutdown. */
export interface MainApi extends StepwiseApi {
  /** The hub every connection subscribes to. */
  readonly events: EventHub
  readonly models: ModelRegistry
  readonly history: HistoryStore
  /** Waits for pending history writes. */
  close(): Promise<void>
}

function notBuiltYet(operation: string): never {
  throw new StepwiseError('unavailable', `${operation} is not available in this build yet`)
}

/**
 * Implements the contract once; Electron IPC, the WebSocket server and tests all call this
 * object. Arguments arrive validated by main/rpc/dispatch.ts.
 */
export async function openStepwiseApi(host: ApiHost): Promise<MainApi> {
  const log = host.log ?? ((message: string) => console.warn(message))
  const events = new EventHub((error) => log(`event listener failed: ${String(error)}`))
  const models = new ModelRegistry(host.modelDirs, log)
  const history = await HistoryStore.open(join(host.dataDir, 'history'), host.appVersion)
  if (history.notice !== null) log(history.notice)

  return {
    events,
    models,
    history,
    onEvent: (listener) => events.subscribe(listener),
    async close() {
      await history.flush()
    },
    async getCapabilities() {
      return {
        ...readCapabilities(host.appVersion, host.mode),
        defaultModelId: await models.defaultModelId()
      }
    },
    listModels: () => models.list(),
    // The job operations land with the job queue, once the inference worker is in.
    generate: async () => notBuiltYet('generate'),
    stop: async () => notBuiltYet('stop'),
    setCfgCutoff: async () => notBuiltYet('setCfgCutoff'),
    listJobs: async () => notBuiltYet('listJobs'),
    historyList: async () => history.list(),
    historyGet: async (id) => history.get(id),
    async historyDelete(id) {
      await history.delete(id)
      events.emit({ type: 'history:changed' })
    },
    historyImage: (request) => history.image(request)
  }
}
