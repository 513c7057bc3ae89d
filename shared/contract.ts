import { z } from 'zod'
import type { OperationName } from './channels'
import { CfgCutoffSchema, GenerateParamsSchema } from './params'
import type {
  CfgCutoff,
  GenerateParams,
  GenerateParamsInput,
  ProviderName,
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
 * terminal `job:state` (done, stopped, failed or cancelled).
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
}

/** A model the user can pick. */
export interface ModelSummary {
  /** Opaque id to pass as `GenerateParams.modelId` (derived from the folder name). */
  id: string
  name: string
  description: string
  family: ModelFamily
  /** Folder on disk, for display. */
  path: string
  defaults: ModelDefaults
  sizeBytes: number
  /** Found in one of the app's configured model folders (shipped or given on the command line). */
  builtIn: boolean
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

/** Returned by `generate`: the job and the seed it will use (drawn now when random). */
export interface JobTicket {
  jobId: string
  seed: number
  /** 0 when it runs at once, k when k jobs are ahead of it. */
  position: number
}

/** A queued or running job as the queue shows it. */
export interface JobSummary {
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

/** The live CFG cutoff of a job, as the worker last reported it. */
export interface CfgCutoffState {
  cutoff: CfgCutoff | null
  /** Step index after which guidance ends, or null (guidance until the end, or not known yet). */
  cutoffStep: number | null
  /** Guidance has ended: the cutoff can no longer move. */
  locked: boolean
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
  /** The execution provider the sessions actually ran on. */
  provider: string
  totalMs: number
  unetMs: number
  /**
   * Measured UNet time saved by the CFG cutoff, 0–1: 1 − (UNet ms spent) / (UNet ms that full
   * CFG would have cost), from each step's measured ms and batch.
   */
  unetSavedFraction: number
  warnings: string[]
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

/** Which picture of a history entry to fetch. */
export interface HistoryImageRequest {
  id: string
  /** A kept step preview (see `previewSteps`) instead of the final image. */
  step?: number
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
}

/** `job:step`: one denoising step ended. Metadata always arrives; previews are latest-wins. */
export interface JobStepEvent {
  type: 'job:step'
  jobId: string
  index: number
  timestep: number
  /** Timesteps in the loop (T). */
  total: number
  /** Wall time of the whole step. */
  ms: number
  /** Time in the UNet. */
  unetMs: number
  /** Batch the UNet ran with (2B with CFG, B without). */
  unetBatch: number
  /** Classifier-free guidance was applied in this step. */
  cfg: boolean
  /**
   * Latent-resolution preview; null when this step had none or a newer preview superseded it
   * before it could be sent (the connection was still busy with the previous one).
   */
  preview: RgbaImage | null
}

/** `job:cutoff`: the worker's view of the live CFG cutoff changed (or a change was refused). */
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
}

/** `history:changed`: an entry was added or deleted; list again. */
export interface HistoryChangedEvent {
  type: 'history:changed'
}

/** Events pushed from main to every connected renderer. */
export type StepwiseEvent =
  | JobStateEvent
  | JobStepEvent
  | JobCutoffEvent
  | JobWarningEvent
  | JobDoneEvent
  | HistoryChangedEvent

/** The operations; each returns a promise because each crosses a process boundary. */
export interface StepwiseOperations {
  getCapabilities(): Promise<Capabilities>
  listModels(): Promise<ModelSummary[]>
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
   * Running job: moves the live cutoff; refused with `conflict` (saying why) once the cutoff
   * step has been reached, because guidance cannot come back. Queued job: replaces its
   * parameter. Errors: not-found, conflict (ended, or cutoff reached).
   */
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): Promise<CfgCutoffState>
  /** The running job first, then waiting ones in order. */
  listJobs(): Promise<JobSummary[]>
  historyList(): Promise<HistoryListing>
  /** Errors: not-found. */
  historyGet(id: string): Promise<HistoryEntry>
  /** Removes the entry, its image and kept previews. Errors: not-found, failed (disk). */
  historyDelete(id: string): Promise<void>
  /** PNG bytes (the final image carries the A1111 `parameters` chunk). Errors: not-found. */
  historyImage(request: HistoryImageRequest): Promise<Uint8Array>
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

/** Largest preview step index a history request may name. */
const MAX_STEP_INDEX = 10_000

/** Argument schemas per operation, applied in main before any handler runs. */
export const operationArgs = {
  getCapabilities: z.tuple([]),
  listModels: z.tuple([]),
  generate: z.tuple([GenerateParamsSchema]),
  stop: z.tuple([IdSchema]),
  setCfgCutoff: z.tuple([IdSchema, CfgCutoffSchema.nullable()]),
  listJobs: z.tuple([]),
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
  ])
} satisfies Record<OperationName, z.ZodType<unknown[]>>

/** Parameters after validation, re-exported so UI code needs one import. */
export type { CfgCutoff, GenerateParams, GenerateParamsInput, ProviderName, SchedulerClassName }
