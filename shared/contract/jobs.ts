import type { CfgCutoff, CfgInterval, GenerateParams, SchedulerClassName } from '../params'
import type { StepReport } from '../steps'

/**
 * Jobs as the queue shows them: their lifecycle, the plan main makes before queueing, the live
 * guidance, a model load's progress, and the snapshot a page connecting mid-run starts from.
 */

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
