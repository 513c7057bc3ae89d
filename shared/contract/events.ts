import type { StepReport } from '../steps'
import type { DownloadSummary } from './downloads'
import type { ResultMetadata } from './history'
import type { CfgCutoffState, JobState, ModelLoadProgress, RgbaImage } from './jobs'

/**
 * Events main pushes to every connected renderer; the order for one job is described in
 * shared/contract.ts.
 */

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

/** `download:update`: a download started, progressed or ended (progress at most a few per second). */
export interface DownloadUpdateEvent {
  type: 'download:update'
  download: DownloadSummary
}

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
