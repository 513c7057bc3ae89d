import { z } from 'zod'
import type { OperationName } from './channels'
import { parseHubUrl } from './hub-url'
import {
  CfgCutoffSchema,
  CfgIntervalSchema,
  GenerateParamsSchema,
  InputImageIdSchema,
  LIMITS
} from './params'
import type { StepMetrics, StepReport } from './steps'
import type { PreviewMethodName } from './preview-method'
import type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  GenerateParams,
  GenerateParamsInput,
  ProviderName,
  ResumeFrom,
  SchedulerClassName
} from './params'

/**
 * The one typed API between the renderer and the main process. Main implements it once
 * (main/api); the Electron preload and the browser-mode WebSocket client both carry it. Every
 * argument coming from a renderer is validated against {@link operationArgs} before use, and
 * failures come back as a `StepwiseError` whose `code` is an {@link import('./errors').ErrorCode}.
 *
 * Event order for one job: `job:state` queued → loading → encoding → denoising (with `job:step`
 * and `job:cutoff` events) → decoding → `job:done` (done and stopped runs only) → exactly one
 * terminal `job:state` (done, stopped, failed or cancelled). A job stopped with `stopNow` ends
 * first and sends its `job:done` afterwards, once its image is decoded.
 */

/** An onnxruntime execution provider and whether this build/machine offers it. */
export interface ExecutionProviderInfo {
  name: string
  /** Compiled into this onnxruntime-node build with its native libraries present. */
  available: boolean
  /** Why it is not available and how to get it (or a caveat about an available one). */
  reason?: string
}

/** What this installation can do. */
export interface Capabilities {
  appVersion: string
  onnxruntimeVersion: string
  executionProviders: ExecutionProviderInfo[]
  /** What `auto` tries on this machine, in order (always ending with cpu). */
  autoProviders: string[]
  platform: string
  arch: string
  /** Which front end is talking to main. */
  mode: 'electron' | 'browser'
  /** The model a first start opens (null when no model is installed). */
  defaultModelId: string | null
}

/** Model families Stepwise knows. */
export type ModelFamily = 'sd1' | 'sd2' | 'sdxl'

/** A model's own defaults, read from its configs (and its stepwise.json, if any). */
export interface ModelDefaults {
  numInferenceSteps: number
  guidanceScale: number
  width: number
  height: number
  scheduler: SchedulerClassName
  /**
   * Whether classifier-free guidance runs with these defaults: guidance above 1 and a UNet
   * without a guidance embedding. Turbo models default to guidance 0, so CFG is off.
   */
  cfg: boolean
  /**
   * Width and height must be multiples of this (the VAE's 8 times 2 per down-sampling of the
   * UNet: 16 for the shipped model, 64 for SD 1.x/2.x, 32 for SDXL); see shared/size-multiple.ts.
   */
  sizeMultiple: number
}

/** Where a model in the list comes from: the app's model folders, or the user's library. */
export type ModelSource = 'built-in' | 'added' | 'downloaded'

/** Float precision of a model's graphs. */
export type ModelPrecision = 'fp32' | 'fp16' | 'mixed'

/** The tiny (TAESD-class) decoder a model's `tiny` previews use. */
export interface PreviewDecoderInfo {
  /**
   * `model`: the model folder's own `preview_decoder/model.onnx`; `downloaded`: a TAESD decoder
   * downloaded from the Hub, used by every model of its family that has none of its own.
   */
  source: 'model' | 'downloaded'
  /** How to name it: `preview_decoder/model.onnx`, or the download's name and repository. */
  label: string
  /** Its folder on disk, for display (and, in main, for loading it). */
  path: string
  /** Downloads: the Hub repository it came from. */
  repo?: string
}

/** A Hub download that would give a model tiny previews (the Models panel offers it). */
export interface PreviewDecoderOffer {
  /** Its key among the known downloads (`knownModels`). */
  key: string
  name: string
  repo: string
  approxDownloadMB: number
}

/** How a model previews its steps (shared/preview-method.ts). */
export interface ModelPreviews {
  /** The methods it offers, cheapest first; `tiny` only when it has a tiny decoder. */
  methods: PreviewMethodName[]
  /** What a run that asks for no method uses: `tiny` where a decoder is present, else `linear`. */
  defaultMethod: PreviewMethodName
  /** The tiny decoder, or null. */
  decoder: PreviewDecoderInfo | null
  /** SD 1.x/2.x and SDXL models without a decoder: the TAESD download that fits, else null. */
  offer: PreviewDecoderOffer | null
}

/** A model the user can pick. */
export interface ModelSummary {
  /** Opaque id to pass as `GenerateParams.modelId` (derived from the folder name). */
  id: string
  name: string
  description: string
  family: ModelFamily
  /** The family as people say it: "SD 1.x", "SD 2.x", "SD-Turbo", "SDXL", "SDXL-Turbo". */
  familyLabel: string
  /** A distilled few-step model (SD-Turbo, SDXL-Turbo): defaults are 1 step without guidance. */
  turbo: boolean
  /** `_class_name` of its model_index.json. */
  pipelineClass: string
  precision: ModelPrecision
  /**
   * What the precision costs where it runs (fp16 on the CPU), or how a folder holding both
   * precisions is loaded (shared/precision-cost.ts); absent for plain fp32.
   */
  precisionNote?: string
  /** Folder on disk, for display. */
  path: string
  defaults: ModelDefaults
  sizeBytes: number
  /** Found in one of the app's configured model folders (shipped or given on the command line). */
  builtIn: boolean
  /** Built-in, added by the user, or downloaded; only library entries can be removed. */
  source: ModelSource
  /** Its preview methods, the default one, and its tiny decoder. */
  previews: ModelPreviews
}

/** One ONNX graph of a model, as its file declares it. */
export interface ModelGraphInfo {
  component: string
  sizeBytes: number
  precision: ModelPrecision
  inputs: { name: string; type: string; shape: (number | string)[] }[]
  outputs: { name: string; type: string; shape: (number | string)[] }[]
}

/** Everything known about one model without loading it. */
export interface ModelInfo extends ModelSummary {
  /** optimum's layout, or diffusers' older OnnxStableDiffusionPipeline export. */
  layout: 'optimum' | 'diffusers-legacy'
  graphs: ModelGraphInfo[]
  /**
   * What the engine's graph passes do at load on the CPU, one line per graph: "unet: attention
   * fused (16 of 16)", "unet: attention fusable (16 of 16), checked at first load", or why not.
   */
  graphPasses?: string[]
  /** Config oddities (e.g. a VAE without scaling_factor, an fp16 VAE that asks for fp32). */
  warnings: string[]
  /** Downloads: where it came from. */
  repo?: string
  revision?: string
}

/** A folder that is in the app's folders or the library but cannot be used now. */
export interface ModelProblem {
  /** The library id (removable), or null for a folder inside the app's model folders. */
  id: string | null
  path: string
  source: ModelSource
  /** What is wrong, naming the file (or the unsupported pipeline). */
  message: string
  /** `_class_name` when the folder names a pipeline Stepwise does not run (SD3, Flux, …). */
  pipelineClass: string | null
}

/** The models and the folders that could not be used. */
export interface ModelLibraryListing {
  models: ModelSummary[]
  problems: ModelProblem[]
}

/**
 * Lifecycle of a job. Terminal states: done, stopped, failed, cancelled; each job reaches
 * exactly one of them, exactly once.
 */
export type JobState =
  | 'queued'
  | 'loading'
  | 'encoding'
  | 'denoising'
  | 'decoding'
  | 'done'
  | 'stopped'
  | 'failed'
  | 'cancelled'

/** The states after which nothing more happens to a job. */
export const TERMINAL_JOB_STATES: readonly JobState[] = ['done', 'stopped', 'failed', 'cancelled']

/** Whether nothing more happens to a job in `state` (done, stopped, failed or cancelled). */
export function isTerminalJobState(state: JobState): boolean {
  return TERMINAL_JOB_STATES.includes(state)
}

/**
 * What a run will do, as main plans it before queueing (the same plan the inference process
 * follows): the answer of `planRun`, and part of every ticket and job summary.
 */
export interface RunPlanInfo {
  /** Timesteps the denoising loop will iterate (T): the bound of step indices (0 … T − 1). */
  numTimesteps: number
  /**
   * Index of the last step with classifier-free guidance, or null (guidance to the end). For a
   * running job, the cutoff in force as last reported (it can move until guidance has ended).
   */
  cfgCutoffStep: number | null
  /**
   * Image-to-image / inpainting: where step 0 sits in the scheduler's full timestep list
   * (strength enters the schedule there); 0 or absent for text-to-image.
   */
  startStep?: number
  /**
   * Index of the first step with guidance: 0, or the start of a guidance interval (steps before
   * it run at batch 1). For a running job, as last reported.
   */
  guidanceStartStep: number
  /**
   * Set when the run will use a lower-memory mode to fit the memory limit (the VAE decoded in
   * tiles, or the low-memory mode: tiles and the UNet one row per call): what it does, the normal
   * mode's estimate, the chosen mode's and the limit. Absent when the normal mode fits.
   */
  memoryNote?: string
}

/** The answer of `planRun`: the plan and the parameters it resolved. */
export interface RunPlanSummary extends RunPlanInfo {
  /** Steps asked for (N), the model's default filled in. */
  numInferenceSteps: number
  /** The scheduler that will run. */
  scheduler: SchedulerClassName
}

/** Returned by `generate`: the job, the seed it will use (drawn now when random) and its plan. */
export interface JobTicket extends RunPlanInfo {
  jobId: string
  seed: number
  /** 0 when it runs at once, k when k jobs are ahead of it. */
  position: number
}

/** A queued or running job as the queue shows it, with its plan. */
export interface JobSummary extends RunPlanInfo {
  jobId: string
  state: JobState
  /** The validated parameters, with the concrete seed and the resolved model id. */
  params: GenerateParams
  seed: number
  /** 0 for the running job, 1… for waiting ones, null once finished. */
  position: number | null
  /** True after stop() was called on the running job and before the job ended. */
  stopping: boolean
}

/** RGBA pixels, row-major; `rgba.length === width * height * 4`. */
export interface RgbaImage {
  width: number
  height: number
  rgba: Uint8Array
}

/** The live guidance of a job (cutoff, interval, scale), as the inference process last reported it. */
export interface CfgCutoffState {
  cutoff: CfgCutoff | null
  /** Step index after which guidance ends, or null (guidance until the end, or not known yet). */
  cutoffStep: number | null
  /** Guidance has ended: the cutoff and the interval's end can no longer move. */
  locked: boolean
  /** The guidance interval in force (null: none). */
  cfgInterval: CfgInterval | null
  /** The first step index with guidance, or null while not known yet. */
  guidanceStartStep: number | null
  /** Guidance has started: the interval's start can no longer move. */
  startLocked: boolean
  /** A guidance scale set during the run (null: the one the run started with). */
  guidanceScale: number | null
  /** Why the last requested change was refused (events only). */
  refused?: string
}

/** What a finished (or stopped) job produced; also stored in history. */
export interface ResultMetadata {
  modelId: string
  modelName: string
  seed: number
  width: number
  height: number
  scheduler: SchedulerClassName
  useKarrasSigmas: boolean
  /** The DPM-Solver `algorithm_type` that ran (DPM-Solver schedulers; absent in older entries). */
  algorithmType?: AlgorithmType
  numInferenceSteps: number
  /** Timesteps the loop iterated (T); can differ from numInferenceSteps for some schedulers. */
  numTimesteps: number
  guidanceScale: number
  /** Steps that ran; fewer than numTimesteps when stopped. */
  stepsRun: number
  /** True when the run was stopped (interrupt flag) before its last step. */
  interrupted: boolean
  /** The CFG cutoff in force when the run ended (it can move while running), or null. */
  cfgCutoff: CfgCutoff | null
  /** Step index after which CFG was off, or null. */
  cfgCutoffStep: number | null
  /** Image-to-image / inpainting: the strength that ran (absent for text-to-image). */
  strength?: number
  /** Image runs: where step 0 sat in the scheduler's full timestep list. */
  startStep?: number
  /** The guidance interval in force when the run ended (absent in older entries). */
  cfgInterval?: CfgInterval | null
  /** The first step that ran with guidance (absent in older entries; null: none did). */
  guidanceStartStep?: number | null
  /**
   * A continued or branched run: the step of the parent run it started after, the parent's seed
   * and prompt, and the parent's history entry (null when the parent was not stored).
   */
  resumedFrom?: ResumedFrom | null
  /** The execution provider the sessions actually ran on. */
  provider: string
  totalMs: number
  unetMs: number
  /**
   * Measured UNet time saved by the CFG cutoff, 0–1: 1 − (UNet ms spent) / (UNet ms that full
   * CFG would have cost), from each step's measured ms and batch.
   */
  unetSavedFraction: number
  /** How the run used memory when not the normal way: `vae-tiles` or `low-memory`. */
  memoryMode?: 'vae-tiles' | 'low-memory'
  /** Why: the note of {@link RunPlanInfo.memoryNote} (a lower mode was chosen to fit). */
  memoryNote?: string
  warnings: string[]
  /**
   * With several images per prompt: this image's place in the batch (0-based) and the batch's
   * size. All images of a batch share the seed: diffusers draws their noise from one generator.
   */
  batchIndex?: number
  batchSize?: number
}

/** Where a continued or branched run came from. */
export interface ResumedFrom {
  step: number
  parentSeed: number
  parentPrompt: string
  parentHistoryId: string | null
}

/** One stored result. */
export interface HistoryEntry {
  /** Opaque id (never a path). */
  id: string
  /** ISO 8601 time the result was stored. */
  createdAt: string
  /** The parameters to restore, with the concrete seed and model id. */
  params: GenerateParams
  result: ResultMetadata
  /** Step indices whose previews were kept beside the result (`keepPreviews`). */
  previewSteps: number[]
  /**
   * Step indices whose run state is kept with the entry, to continue or branch from: the stop
   * step of a stopped run, every step of a run that kept its steps (absent in older entries).
   */
  snapshotSteps?: number[]
}

/** What `historyList` returns. */
export interface HistoryListing {
  /** Newest first. */
  entries: HistoryEntry[]
  /**
   * A problem found when the history was loaded, e.g. an unreadable index that was kept aside
   * under another name; null when all is well.
   */
  notice: string | null
}

/** A stored input picture (`putInputImage`): its id (the SHA-256 of its PNG) and size. */
export interface InputImageInfo {
  imageId: string
  width: number
  height: number
}

/** Which picture of a history entry to fetch. */
export interface HistoryImageRequest {
  id: string
  /** A kept step preview (see `previewSteps`) instead of the final image. */
  step?: number
}

/**
 * One model component's load while a job loads its model: `start` before its session is created,
 * `done` after (with `ms`). `index` of `total` counts the graphs this load creates, from 1.
 */
export interface ModelLoadProgress {
  /** The graph's folder name: `text_encoder`, `text_encoder_2`, `unet`, `vae_decoder`, … */
  component: string
  /** What the app shows: "text encoder", "UNet", "VAE decoder", … */
  label: string
  index: number
  total: number
  phase: 'start' | 'done'
  /** The graph's size on disk with its external weights, or null when unknown. */
  bytes: number | null
  ms?: number
}

/** `job:state`: a job's state, queue position or stopping flag changed. */
export interface JobStateEvent {
  type: 'job:state'
  jobId: string
  state: JobState
  /** 0 running, k waiting behind k jobs, null once finished. */
  position: number | null
  /** Stop was requested and the run will end at the next step boundary. */
  stopping: boolean
  /** Failed jobs: the engine's specific message. Cancelled: why. */
  message?: string
  /** While `loading`: the component being loaded (or the last one loaded). */
  load?: ModelLoadProgress
}

/**
 * `job:step`: one denoising step ended (shared/steps.ts: index, timestep, T, times, UNet batch,
 * guidance, and `endedAt`, which the renderer records with each painted preview so preview
 * latency can be measured). Metadata always arrives; previews are latest-wins.
 */
export interface JobStepEvent extends StepReport {
  type: 'job:step'
  jobId: string
  /**
   * Latent-resolution preview; null when this step had none or a newer preview superseded it
   * before it could be sent (the connection was still busy with the previous one).
   */
  preview: RgbaImage | null
}

/** `job:cutoff`: the inference process's view of the live CFG cutoff changed (or a change was refused). */
export interface JobCutoffEvent {
  type: 'job:cutoff'
  jobId: string
  state: CfgCutoffState
}

/** `job:warning`: something the user should know, e.g. a prompt truncated to the token limit. */
export interface JobWarningEvent {
  type: 'job:warning'
  jobId: string
  message: string
}

/** `job:done`: the decoded image of a done or stopped run (sent just before its final state). */
export interface JobDoneEvent {
  type: 'job:done'
  jobId: string
  image: RgbaImage
  result: ResultMetadata
  /** The history entry the result was stored as; null if storing failed (see historyError). */
  historyId: string | null
  historyError?: string
  /**
   * Every image of the run when it made more than one (images per prompt), `image` first, with
   * the history entry each was stored as.
   */
  batch?: { image: RgbaImage; historyId: string | null }[]
}

/** `history:changed`: an entry was added or deleted; list again. */
export interface HistoryChangedEvent {
  type: 'history:changed'
}

/** `models:changed`: a model was added, downloaded or removed; list again. */
export interface ModelsChangedEvent {
  type: 'models:changed'
}

/** A curated Hub repository offered in the downloads panel. */
export interface KnownModelInfo {
  /**
   * `model`: a diffusion pipeline (joins the library); `preview-decoder`: a TAESD decoder for
   * tiny previews (attached to the models of `previewFamilies`). Absent: a model.
   */
  kind?: 'model' | 'preview-decoder'
  /** Preview decoders: the model families whose latents it decodes. */
  previewFamilies?: ModelFamily[]
  key: string
  name: string
  repo: string
  revision: string
  familyLabel: string
  precision: ModelPrecision
  approxDownloadGB: number
  /** Set when the export only runs on this provider (e.g. CUDA-only fused operators). */
  requiresProvider: string | null
  note: string
}

/** What to download: a curated key, or a repository (and revision) typed in. */
export interface DownloadRequest {
  /** Repository id, e.g. `onnx-community/stable-diffusion-v1-5-ONNX`. */
  repo: string
  /** Branch, tag or commit; default `main`. */
  revision?: string
  /** Access token for gated repositories: used for this download only, never stored or logged. */
  token?: string
}

/** Lifecycle of a download. */
export type DownloadState = 'running' | 'done' | 'failed' | 'cancelled'

/** A download as the downloads panel shows it. */
export interface DownloadSummary {
  /** Opaque id (never a path). */
  id: string
  repo: string
  revision: string
  /** Destination folder. */
  dest: string
  state: DownloadState
  doneBytes: number
  /** Null until the file listing is known. */
  totalBytes: number | null
  bytesPerSecond: number | null
  etaSeconds: number | null
  /** The file being fetched now. */
  currentFile: string | null
  /** Failed: why (never the token). Cancelled: partial files are kept for a resume. */
  message?: string
  /** Done: the model's id in the library. */
  modelId?: string
  /** `preview-decoder`: a known TAESD decoder (see {@link KnownModelInfo}); absent: a model. */
  kind?: 'model' | 'preview-decoder'
  /** Done preview decoders: the ids of the models that use it now. */
  previewFor?: string[]
  /**
   * Running: the last attempt failed and the download waits to try again (cleared once data
   * flows again), so a stalled download says so while it waits.
   */
  retry?: DownloadRetry
}

/** A retry a download is waiting for. */
export interface DownloadRetry {
  /** 1-based retry number, and how many are allowed. */
  attempt: number
  of: number
  /** Why the last attempt failed. */
  reason: string
  /** When the next attempt starts (epoch ms). */
  at: number
}

/** `download:update`: a download started, progressed or ended (progress at most a few per second). */
export interface DownloadUpdateEvent {
  type: 'download:update'
  download: DownloadSummary
}

/** The inference process's memory and what it holds loaded. */
export interface InferenceStatus {
  /** Whether the inference process runs (it starts with the first job, and after a crash). */
  running: boolean
  /** Resident set size of the process that runs inference, in bytes (null: not running). */
  rssBytes: number | null
  /** The model whose pipeline is loaded (null: none). */
  loadedModelPath: string | null
  /** The provider the loaded pipeline asked for. */
  loadedProvider: string | null
  /** Graphs with a live session and the provider each actually runs on. */
  loadedComponents: { component: string; provider: string }[]
}

/**
 * The running job as a page that connects mid-run needs it (`liveJob`): what it is, the steps it
 * has finished (their records, most recent last), its newest preview, its live cutoff and its
 * warnings. Events after the answer continue from there.
 */
export interface LiveJobSnapshot {
  job: JobSummary
  steps: StepReport[]
  /** The newest step preview (older ones are not kept: previews are latest-wins). */
  preview: { index: number; image: RgbaImage } | null
  cutoff: CfgCutoffState
  warnings: string[]
}

/** How long a text is in a model's tokens (`countTokens`). */
export interface TokenCount {
  /** Tokens of the text, the start and end tokens included. */
  tokens: number
  /** The most the text encoder reads (`model_max_length`: 77 for CLIP); more is cut off. */
  limit: number
}

/** The form's values as the renderer saved them (`saveFormState`): plain text, numbers, flags. */
export type FormStateRecord = Record<string, string | number | boolean>

/** Events pushed from main to every connected renderer. */
export type StepwiseEvent =
  | JobStateEvent
  | JobStepEvent
  | JobCutoffEvent
  | JobWarningEvent
  | JobDoneEvent
  | HistoryChangedEvent
  | ModelsChangedEvent
  | DownloadUpdateEvent

/** The operations; each returns a promise because each crosses a process boundary. */
export interface StepwiseOperations {
  getCapabilities(): Promise<Capabilities>
  /** Usable models: the app's own, then the user's library. */
  listModels(): Promise<ModelSummary[]>
  /** Usable models and the folders that could not be used (with the specific reason). */
  modelLibrary(): Promise<ModelLibraryListing>
  /**
   * Checks a folder the user chose and adds it to the library (remembered between runs); an
   * already listed folder returns its entry. Errors: invalid-argument (not a usable model: which
   * file is missing, which input or dtype is unexpected, which pipeline is not supported yet).
   */
  addModel(path: string): Promise<ModelSummary>
  /** Forgets a library entry; its files stay. Errors: not-found, invalid-argument (built in). */
  removeModel(id: string): Promise<void>
  /** Graphs, layout and warnings of one model. Errors: not-found, invalid-argument. */
  modelInfo(id: string): Promise<ModelInfo>
  /**
   * Electron: the OS folder dialog; resolves the chosen folder or null when cancelled.
   * Browser mode has no dialog: errors with unavailable (type the path instead).
   */
  pickModelFolder(): Promise<string | null>
  /** The curated ONNX exports on the Hugging Face Hub. */
  knownModels(): Promise<KnownModelInfo[]>
  /**
   * Starts downloading a Hub repository's ONNX pipeline into the data folder (resuming an
   * earlier partial download of the same repository); progress comes as `download:update`
   * events, and a finished model joins the library. Errors: invalid-argument, conflict (the
   * same repository is already downloading).
   */
  startDownload(request: DownloadRequest): Promise<DownloadSummary>
  /** Stops a running download; partial files stay for a resume. Errors: not-found. */
  cancelDownload(id: string): Promise<DownloadSummary>
  /** Removes an ended download from the list (a running one: conflict). Errors: not-found. */
  dismissDownload(id: string): Promise<void>
  /** Downloads of this run, newest first. */
  listDownloads(): Promise<DownloadSummary[]>
  /** Memory of the inference process and the loaded model. */
  inferenceStatus(): Promise<InferenceStatus>
  /**
   * What `generate` with these parameters would run, without queueing it: T and where guidance
   * ends. Validates as `generate` does. Errors: invalid-argument (bad value, unknown model).
   */
  planRun(params: GenerateParamsInput): Promise<RunPlanSummary>
  /**
   * Validates against the schema and the chosen model, draws the seed if it is null, and queues
   * the job. Errors: invalid-argument (bad value, unknown model), unavailable (queue full).
   */
  generate(params: GenerateParamsInput): Promise<JobTicket>
  /**
   * Running job: interrupt at the next step boundary (state stays, `stopping` becomes true,
   * then `stopped` with the decoded image). Queued job: cancel it. Ended job: no change.
   * Errors: not-found.
   */
  stop(jobId: string): Promise<JobSummary>
  /**
   * Running job: "stop now" — ends the inference process in the middle of the step, so the job
   * ends as `stopped` at once (within 500 ms whatever the step time) at the last finished step,
   * its message saying which. That step's image comes afterwards (`job:done`, after the terminal
   * state for this kind of stop), once a fresh process has decoded it; the model then reloads in
   * the background before the next job. No finished step: stopped with no image. Queued or
   * ended job: as `stop`. Errors: not-found.
   */
  stopNow(jobId: string): Promise<JobSummary>
  /**
   * Running job: moves the live cutoff; refused with `conflict` (saying why) once the cutoff
   * step has been reached, because guidance cannot come back. Queued job: replaces its
   * parameter. Errors: not-found, conflict (ended, or cutoff reached).
   */
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): Promise<CfgCutoffState>
  /**
   * Running job: moves the guidance interval; a bound whose step has been reached is refused
   * with `conflict` (guidance started: the start stays; ended: the end stays). Queued job:
   * replaces its parameter. Errors: not-found, conflict, invalid-argument.
   */
  setCfgInterval(jobId: string, interval: CfgInterval | null): Promise<CfgCutoffState>
  /**
   * Running job: the guidance scale from the next step on (recorded per step). Refused with
   * `conflict` for a run without guidance rows (it started at guidance ≤ 1). Queued job:
   * replaces its parameter. Errors: not-found, conflict, invalid-argument.
   */
  setGuidanceScale(jobId: string, guidanceScale: number): Promise<CfgCutoffState>
  /** The running job first, then waiting ones in order. */
  listJobs(): Promise<JobSummary[]>
  /**
   * The running job with its steps so far and newest preview, for a page that connects (or
   * reloads) mid-run; null when nothing runs.
   */
  liveJob(): Promise<LiveJobSnapshot | null>
  /** How many tokens `text` is for the model's tokenizer, and its limit. Errors: invalid-argument. */
  countTokens(modelId: string, text: string): Promise<TokenCount>
  historyList(): Promise<HistoryListing>
  /** Errors: not-found. */
  historyGet(id: string): Promise<HistoryEntry>
  /** Removes the entry, its image and kept previews. Errors: not-found, failed (disk). */
  historyDelete(id: string): Promise<void>
  /** PNG bytes (the final image carries the A1111 `parameters` chunk). Errors: not-found. */
  historyImage(request: HistoryImageRequest): Promise<Uint8Array>
  /**
   * Electron: shows the entry's PNG in the system's file manager. Browser mode has no file
   * manager to open: errors with unavailable. Errors: not-found.
   */
  showHistoryFile(id: string): Promise<void>
  /** The form as it was last saved (kept across reloads and restarts), or null. */
  loadFormState(): Promise<FormStateRecord | null>
  /** Saves the form's values in the data folder. */
  saveFormState(state: FormStateRecord): Promise<void>
  /**
   * Stores an input picture or mask (PNG or JPEG bytes) in the history folder, once per content;
   * `generate`'s `initImage` / `maskImage` name it by the returned id.
   */
  putInputImage(bytes: Uint8Array): Promise<InputImageInfo>
  /** A stored input picture as PNG bytes. */
  inputImage(imageId: string): Promise<Uint8Array>
}

/** The API as a renderer sees it: the operations plus the event subscription. */
export interface StepwiseApi extends StepwiseOperations {
  /** Subscribes to main's events; returns the unsubscribe function. */
  onEvent(listener: (event: StepwiseEvent) => void): () => void
}

/** Job and history ids are short opaque tokens, never paths. */
export const IdSchema = z
  .string({ error: 'must be an id string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id of 1–64 letters, digits, "-" or "_"')

/**
 * A folder path typed, pasted, dropped or picked by the user: absolute (`/…`, `C:\…`, `\\server\…`)
 * or starting with `~` (the home folder); main's working folder means nothing to a user.
 */
export const FolderPathSchema = z
  .string({ error: 'must be a folder path' })
  .trim()
  .min(1, 'must be a folder path')
  .max(4096, 'must be at most 4096 characters')
  .refine((p) => !p.includes('\0'), 'must not contain NUL characters')
  .refine(
    (p) => /^(\/|~([\\/]|$)|[A-Za-z]:[\\/]|\\\\)/.test(p),
    'must be an absolute folder path (or start with ~)'
  )

/** A Hub repository id: `owner/name`, as the Hub allows them. */
const RepoIdSchema = z
  .string({ error: 'must be a repository id' })
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/,
    'must be a Hugging Face repository id like owner/name'
  )

/**
 * A pasted Hub page URL in `repo` becomes the repository it names, and its revision (`/tree/fp16`)
 * unless one is given.
 */
function readPastedHubUrl(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const request = value as Record<string, unknown>
  const ref = typeof request['repo'] === 'string' ? parseHubUrl(request['repo']) : null
  if (ref === null) return value
  return {
    ...request,
    repo: ref.repo,
    ...(request['revision'] === undefined && ref.revision !== undefined
      ? { revision: ref.revision }
      : {})
  }
}

/** Arguments of `startDownload`. */
export const DownloadRequestSchema = z.preprocess(
  readPastedHubUrl,
  z.strictObject({
    repo: RepoIdSchema,
    revision: z
      .string({ error: 'must be a branch, tag or commit' })
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/, 'must be a branch, tag or commit name')
      .refine((r) => !r.includes('..'), 'must not contain ".."')
      .optional(),
    token: z
      .string({ error: 'must be text' })
      .max(512, 'must be at most 512 characters')
      .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces')
      .optional()
  })
)

/** Most fields a saved form may have, and the longest text one may hold. */
const FORM_STATE_LIMITS = { fields: 64, chars: 20_000 } as const

/** A saved form: a flat record of short keys and plain values. */
export const FormStateSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be a field name'),
    z.union([
      z
        .string()
        .max(FORM_STATE_LIMITS.chars, `must be at most ${FORM_STATE_LIMITS.chars} characters`),
      z.number().refine(Number.isFinite, 'must be a finite number'),
      z.boolean()
    ])
  )
  .refine((r) => Object.keys(r).length <= FORM_STATE_LIMITS.fields, {
    message: `must have at most ${FORM_STATE_LIMITS.fields} fields`
  })

/** Largest preview step index a history request may name. */
const MAX_STEP_INDEX = 10_000

/** Argument schemas per operation, applied in main before any handler runs. */
export const operationArgs = {
  getCapabilities: z.tuple([]),
  listModels: z.tuple([]),
  modelLibrary: z.tuple([]),
  addModel: z.tuple([FolderPathSchema]),
  removeModel: z.tuple([IdSchema]),
  modelInfo: z.tuple([IdSchema]),
  pickModelFolder: z.tuple([]),
  knownModels: z.tuple([]),
  startDownload: z.tuple([DownloadRequestSchema]),
  cancelDownload: z.tuple([IdSchema]),
  dismissDownload: z.tuple([IdSchema]),
  listDownloads: z.tuple([]),
  inferenceStatus: z.tuple([]),
  planRun: z.tuple([GenerateParamsSchema]),
  generate: z.tuple([GenerateParamsSchema]),
  stop: z.tuple([IdSchema]),
  stopNow: z.tuple([IdSchema]),
  setCfgCutoff: z.tuple([IdSchema, CfgCutoffSchema.nullable()]),
  setCfgInterval: z.tuple([IdSchema, CfgIntervalSchema.nullable()]),
  setGuidanceScale: z.tuple([
    IdSchema,
    z
      .number({ error: 'must be a number' })
      .refine((v) => Number.isFinite(v) && v > 1 && v <= LIMITS.guidanceScale.max, {
        error: (iss) =>
          `must be a guidance scale above 1 and at most ${LIMITS.guidanceScale.max} (got ${String(iss.input)}); to turn guidance off, move the end of the guidance range`
      })
  ]),
  listJobs: z.tuple([]),
  liveJob: z.tuple([]),
  countTokens: z.tuple([
    z.string({ error: 'must be a model id' }).min(1, 'must be a model id').max(4096),
    z.string({ error: 'must be text' }).max(20_000, 'must be at most 20000 characters')
  ]),
  historyList: z.tuple([]),
  historyGet: z.tuple([IdSchema]),
  historyDelete: z.tuple([IdSchema]),
  historyImage: z.tuple([
    z.strictObject({
      id: IdSchema,
      step: z
        .number({ error: 'must be a step index' })
        .int('must be an integer step index')
        .min(0, 'must be 0 or more')
        .max(MAX_STEP_INDEX, `must be at most ${MAX_STEP_INDEX}`)
        .optional()
    })
  ]),
  showHistoryFile: z.tuple([IdSchema]),
  loadFormState: z.tuple([]),
  saveFormState: z.tuple([FormStateSchema]),
  putInputImage: z.tuple([
    z.instanceof(Uint8Array, { error: 'must be the bytes of a PNG or JPEG file' })
  ]),
  inputImage: z.tuple([InputImageIdSchema])
} satisfies Record<OperationName, z.ZodType<unknown[]>>

/** Parameters and step reports, re-exported so UI code needs one import. */
export type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  GenerateParams,
  GenerateParamsInput,
  PreviewMethodName,
  ProviderName,
  ResumeFrom,
  SchedulerClassName,
  StepMetrics,
  StepReport
}
