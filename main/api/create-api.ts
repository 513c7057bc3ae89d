import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type {
  Capabilities,
  GenerateParams,
  GenerateParamsInput,
  InferenceStatus,
  StepwiseApi
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { GenerateParamsSchema } from '../../shared/params'
import { describeZodError } from '../../shared/validation'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { JobQueue } from '../jobs/job-queue'
import type { InferenceRunner } from '../jobs/job-queue'
import { LIBRARY_FILE, ModelLibrary } from '../model-library/model-library'
import { ModelRegistry } from '../model-library/model-registry'
import {
  PREVIEW_DECODERS_FOLDER,
  PreviewDecoderShelf
} from '../model-library/preview-decoder-shelf'
import { readCapabilities } from './capabilities'
import type { DownloadService } from './download-service'

/** What the API implementation needs from its host process. */
export interface ApiHost {
  appVersion: string
  mode: Capabilities['mode']
  /** Per-user data folder; history lives in `<dataDir>/history`. */
  dataDir: string
  /** Folders whose subfolders are models (the shipped one first). */
  modelDirs: readonly string[]
  /** The inference process (main/inference/client/inference-client.ts's InferenceClient). */
  inference: InferenceRunner
  /** Where to report problems nobody asked about (skipped model folders). */
  log?: (message: string) => void
  /** Electron: the OS folder dialog (null when cancelled). Absent in browser mode. */
  pickFolder?: () => Promise<string | null>
  /** Hub downloads; absent: the download operations answer `unavailable`. */
  downloads?: (models: ModelRegistry, events: EventHub) => DownloadService
  /** Memory of the inference process; absent: `inferenceStatus` answers `unavailable`. */
  inferenceStatus?: () => Promise<InferenceStatus>
}

/** The main-process API: the contract's operations, its events, and shutdown. */
export interface MainApi extends StepwiseApi {
  /** The hub every connection subscribes to. */
  readonly events: EventHub
  readonly models: ModelRegistry
  readonly history: HistoryStore
  readonly jobs: JobQueue
  /** Stops the running job (storing its result), cancels waiting ones, ends the inference process. */
  close(): Promise<void>
}

/** `~` or `~/…` → the home folder; everything else as given (already checked to be absolute). */
export function expandFolderPath(path: string): string {
  const trimmed = path.trim()
  if (trimmed === '~') return homedir()
  if (/^~[\\/]/.test(trimmed)) return join(homedir(), trimmed.slice(2))
  return resolve(trimmed)
}

function unavailable(what: string): never {
  throw new StepwiseError('unavailable', what)
}

/**
 * The schema applied again: dispatch already parsed what came from a renderer (parsing is
 * idempotent), and in-process callers (tests, tools) get the same checks and defaults.
 */
function parseParams(
  operation: 'generate' | 'planRun',
  input: GenerateParamsInput
): GenerateParams {
  const parsed = GenerateParamsSchema.safeParse(input)
  if (!parsed.success) {
    throw new StepwiseError('invalid-argument', describeZodError(operation, parsed.error))
  }
  return parsed.data
}

/**
 * Implements the contract once; Electron IPC, the WebSocket server and tests all call this
 * object. Arguments arrive validated by main/rpc/dispatch.ts.
 */
export async function openStepwiseApi(host: ApiHost): Promise<MainApi> {
  const log = host.log ?? ((message: string) => console.warn(message))
  const events = new EventHub((error) => log(`event listener failed: ${String(error)}`))
  const library = await ModelLibrary.open(join(host.dataDir, LIBRARY_FILE))
  if (library.notice !== null) log(library.notice)
  const models = new ModelRegistry({
    modelDirs: host.modelDirs,
    library,
    onSkip: log,
    previewDecoders: new PreviewDecoderShelf(join(host.dataDir, PREVIEW_DECODERS_FOLDER))
  })
  const downloads = host.downloads?.(models, events) ?? null
  const requireDownloads = (): DownloadService =>
    downloads ?? unavailable('downloads are not available in this front end')
  const history = await HistoryStore.open(join(host.dataDir, 'history'), host.appVersion)
  if (history.notice !== null) log(history.notice)
  const jobs = new JobQueue({ inference: host.inference, models, history, events })

  return {
    events,
    models,
    history,
    jobs,
    onEvent: (listener) => events.subscribe(listener),
    async close() {
      await downloads?.close()
      await jobs.close()
      await history.flush()
    },
    async getCapabilities() {
      return {
        ...readCapabilities(host.appVersion, host.mode),
        defaultModelId: await models.defaultModelId()
      }
    },
    listModels: () => models.list(),
    modelLibrary: () => models.listing(),
    async addModel(path) {
      const summary = await models.add(expandFolderPath(path))
      events.emit({ type: 'models:changed' })
      return summary
    },
    async removeModel(id) {
      await models.remove(id)
      events.emit({ type: 'models:changed' })
    },
    modelInfo: (id) => models.info(id),
    pickModelFolder: () =>
      host.pickFolder?.() ??
      unavailable('there is no folder dialog in browser mode; type or paste the folder path'),
    knownModels: async () => requireDownloads().known(),
    startDownload: (request) => requireDownloads().start(request),
    cancelDownload: (id) => requireDownloads().cancel(id),
    listDownloads: async () => requireDownloads().list(),
    inferenceStatus: () =>
      host.inferenceStatus?.() ?? unavailable('this front end does not report inference memory'),
    planRun: (params) => jobs.plan(parseParams('planRun', params)),
    generate: (params) => jobs.generate(parseParams('generate', params)),
    stop: async (jobId) => jobs.stop(jobId),
    setCfgCutoff: (jobId, cutoff) => jobs.setCfgCutoff(jobId, cutoff),
    setCfgInterval: (jobId, interval) => jobs.setCfgInterval(jobId, interval),
    setGuidanceScale: (jobId, scale) => jobs.setGuidanceScale(jobId, scale),
    listJobs: async () => jobs.listJobs(),
    historyList: async () => history.list(),
    historyGet: async (id) => history.get(id),
    async historyDelete(id) {
      await history.delete(id)
      events.emit({ type: 'history:changed' })
    },
    historyImage: (request) => history.image(request),
    putInputImage: (bytes) => history.inputs.put(bytes),
    inputImage: (imageId) => history.inputs.png(imageId)
  }
}
