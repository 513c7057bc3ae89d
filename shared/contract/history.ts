import type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  GenerateParams,
  SchedulerClassName
} from '../params'

/**
 * Stored results: what a run produced (also sent with `job:done`), the history entries and
 * listing, and the stored input pictures.
 */

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
  /**
   * Why: the note of {@link import('./jobs').RunPlanInfo.memoryNote} (a lower mode was chosen to
   * fit).
   */
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
