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
 * argument coming from a renderer is validated against
 * {@link import('./contract/operation-args').operationArgs} before use, and failures come back as
 * a `StepwiseError` whose `code` is an {@link import('./errors').ErrorCode}.
 *
 * Event order for one job: `job:state` queued → loading → encoding → denoising (with `job:step`
 * and `job:cutoff` events) → decoding → `job:done` (done and stopped runs only) → exactly one
 * terminal `job:state` (done, stopped, failed or cancelled). A job stopped with `stopNow` ends
 * first and sends its `job:done` afterwards, once its image is decoded.
 *
 * The declarations live in shared/contract/, one file per subject; this module is the one place
 * the rest of the app imports them from, so a declaration can move between those files freely.
 */

export type { Capabilities, ExecutionProviderInfo, InferenceStatus } from './contract/system'
export type {
  ModelDefaults,
  ModelFamily,
  ModelGraphInfo,
  ModelInfo,
  ModelLibraryListing,
  ModelPrecision,
  ModelPreviews,
  ModelProblem,
  ModelSource,
  ModelSummary,
  PreviewDecoderInfo,
  PreviewDecoderOffer
} from './contract/models'
export { TERMINAL_JOB_STATES, isTerminalJobState } from './contract/jobs'
export type {
  CfgCutoffState,
  JobState,
  JobSummary,
  JobTicket,
  LiveJobSnapshot,
  ModelLoadProgress,
  RgbaImage,
  RunPlanInfo,
  RunPlanSummary
} from './contract/jobs'
export type {
  HistoryEntry,
  HistoryImageRequest,
  HistoryListing,
  InputImageInfo,
  ResultMetadata,
  ResumedFrom
} from './contract/history'
export type {
  DownloadRequest,
  DownloadRetry,
  DownloadState,
  DownloadSummary,
  KnownModelInfo
} from './contract/downloads'
export type {
  DownloadUpdateEvent,
  HistoryChangedEvent,
  JobCutoffEvent,
  JobDoneEvent,
  JobStateEvent,
  JobStepEvent,
  JobWarningEvent,
  ModelsChangedEvent,
  StepwiseEvent
} from './contract/events'
export type {
  FormStateRecord,
  StepwiseApi,
  StepwiseOperations,
  TokenCount
} from './contract/operations'
export {
  DownloadRequestSchema,
  FolderPathSchema,
  FormStateSchema,
  IdSchema,
  operationArgs
} from './contract/operation-args'

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
