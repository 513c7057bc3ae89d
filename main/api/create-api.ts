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
import { OPERATION_LABELS, paramLabel } from '../../shared/labels'
import { describeZodError } from '../../shared/validation'
import { EventHub } from '../events/event-hub'
import { providerAvailability } from '../engine'
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
import { FormStateFile } from './form-state-file'
import { TokenCounter } from './token-counter'

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
  /** Electron: shows a file in the system's file manager. Absent in browser mode. */
  showItemInFolder?: (path: string) => void
  /**
   * Whether a WebGPU adapter exists (its provider is compiled into onnxruntime-node everywhere
   * but cannot run without one); absent: not checked, the compiled-in list is reported as is.
   */
  probeWebGpu?: () => Promise<WebGpuProbe>
  /**
   * The run plan's memory limit in bytes; absent: the engine's (75% of physical memory). Runs
   * over it use the low-memory mode when that fits (job-queue.ts).
   */
  memoryLimitBytes?: number
}

/** The answer of a WebGPU adapter probe. */
export interface WebGpuProbe {
  found: boolean
  /** Why none was found (onnxruntime's own words), or null. */
  reason: string | null
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
    throw new StepwiseError(
      'invalid-argument',
      describeZodError(OPERATION_LABELS[operation], parsed.error, paramLabel)
    )
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
  const jobs = new JobQueue({
    inference: host.inference,
    models,
    history,
    events,
    ...(host.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: host.memoryLimitBytes })
  })
  const tokens = new TokenCounter()
  const formState = new FormStateFile(join(host.dataDir, FORM_STATE_FILE))
  // Started now, answered once: capabilities wait for it (it takes a fraction of a second).
  const webgpuBuilt = providerAvailability().some((a) => a.name === 'webgpu' && a.available)
  const webgpu =
    host.probeWebGpu === undefined || !webgpuBuilt ? null : probeOnce(host.probeWebGpu, log)

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
        ...readCapabilities(host.appVersion, host.mode, webgpu === null ? null : await webgpu),
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
      const removed = (await models.list()).find((m) => m.id === id)
      await models.remove(id)
      // Its sessions must not stay loaded (and reported as loaded) once it is gone from the
      // library; the inference process frees them after a job that still uses them.
      if (removed !== undefined) {
        const status = await host.inferenceStatus?.().catch(() => null)
        if (status?.loadedModelPath === removed.path) host.inference.release?.()
      }
      events.emit({ type: 'models:changed' })
    },
    modelInfo: (id) => models.info(id),
    pickModelFolder: () =>
      host.pickFolder?.() ??
      unavailable('there is no folder dialog in browser mode; type or paste the folder path'),
    knownModels: async () => requireDownloads().known(),
    startDownload: (request) => requireDownloads().start(request),
    cancelDownload: (id) => requireDownloads().cancel(id),
    dismissDownload: async (id) => requireDownloads().dismiss(id),
    listDownloads: async () => requireDownloads().list(),
    inferenceStatus: () =>
      host.inferenceStatus?.() ?? unavailable('this front end does not report inference memory'),
    planRun: (params) => jobs.plan(parseParams('planRun', params)),
    generate: (params) => jobs.generate(parseParams('generate', params)),
    stop: async (jobId) => jobs.stop(jobId),
    stopNow: async (jobId) => jobs.stopNow(jobId),
    setCfgCutoff: (jobId, cutoff) => jobs.setCfgCutoff(jobId, cutoff),
    setCfgInterval: (jobId, interval) => jobs.setCfgInterval(jobId, interval),
    setGuidanceScale: (jobId, scale) => jobs.setGuidanceScale(jobId, scale),
    listJobs: async () => jobs.listJobs(),
    liveJob: async () => jobs.liveJob(),
    async countTokens(modelId, text) {
      const model = await models.resolve(modelId)
      return tokens.count(model.path, text)
    },
    historyList: async () => history.list(),
    historyGet: async (id) => history.get(id),
    async historyDelete(id) {
      await history.delete(id)
      events.emit({ type: 'history:changed' })
    },
    historyImage: (request) => history.image(request),
    async showHistoryFile(id) {
      history.get(id)
      if (host.showItemInFolder === undefined) {
        unavailable('browser mode cannot open a file manager; use Save to download the image')
      }
      host.showItemInFolder(history.files.image(id))
    },
    loadFormState: () => formState.load(),
    saveFormState: (state) => formState.save(state),
    putInputImage: (bytes) => history.inputs.put(bytes),
    inputImage: (imageId) => history.inputs.png(imageId)
  }
}

/** The saved form's file in the data folder. */
export const FORM_STATE_FILE = 'form-state.json'

/** Runs the WebGPU probe once; a probe that fails is reported as "not found", with why. */
function probeOnce(
  probe: () => Promise<WebGpuProbe>,
  log: (m: string) => void
): Promise<WebGpuProbe> {
  return probe().catch((error: unknown) => {
    const reason = `the WebGPU check failed: ${error instanceof Error ? error.message : String(error)}`
    log(reason)
    return { found: false, reason }
  })
}
