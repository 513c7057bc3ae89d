/**
 * The renderer's one door to the typed contract: every UI module imports contract types from
 * here, so the UI has a single place that follows `shared/contract.ts`.
 */
export type {
  AlgorithmType,
  Capabilities,
  DownloadRequest,
  DownloadSummary,
  FormStateRecord,
  InferenceStatus,
  KnownModelInfo,
  ModelLibraryListing,
  ModelProblem,
  CfgCutoff,
  CfgCutoffState,
  CfgInterval,
  GenerateParams,
  GenerateParamsInput,
  HistoryEntry,
  HistoryImageRequest,
  HistoryListing,
  InputImageInfo,
  JobState,
  JobSummary,
  JobTicket,
  LiveJobSnapshot,
  ModelFamily,
  ModelLoadProgress,
  ModelSummary,
  PreviewMethodName,
  ResultMetadata,
  ResumedFrom,
  RgbaImage,
  RunPlanInfo,
  RunPlanSummary,
  SchedulerClassName,
  StepReport,
  StepwiseApi,
  StepwiseEvent,
  TokenCount
} from '../../shared/contract'
export { isTerminalJobState } from '../../shared/contract'
