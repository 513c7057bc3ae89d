import type {
  AlgorithmType,
  CfgCutoff,
  ProviderName,
  SchedulerClassName
} from '../../shared/params'
import type { StepReport } from '../../shared/steps'
import type { PipelineFamily, PipelinePhase } from '../engine'

/**
 * Messages between the main process and the inference process. onnxruntime-node's
 * `session.run()` blocks its thread for the whole run, and a native crash or abort inside it
 * ends the whole process, so all inference lives in a child process; main only sends commands
 * and receives events. Messages are structured clones (ArrayBuffers included).
 */

/** One generation, fully resolved (model folder, concrete seed) by the caller. */
export interface GenerationRequest {
  modelDir: string
  provider: ProviderName
  prompt: string
  negativePrompt: string
  /** Omitted: the model's default. */
  numInferenceSteps?: number
  guidanceScale?: number
  guidanceRescale: number
  width?: number
  height?: number
  seed: number
  /** Omitted: the model's own scheduler config. */
  scheduler?: SchedulerClassName
  useKarrasSigmas: boolean
  /** DPM-Solver `algorithm_type`; omitted: the scheduler config's own. */
  algorithmType?: AlgorithmType
  cfgCutoff: CfgCutoff | null
  stopAtStep: number | null
  previewEvery: number
  numImagesPerPrompt: number
  /**
   * Image-to-image and inpainting: the picture to start from (resized to width × height with
   * diffusers' Lanczos filter). Omitted or null: text-to-image.
   */
  initImage?: RgbaFrame | null
  /** Inpainting: white where the picture is repainted, black where it is kept. */
  mask?: RgbaFrame | null
  /** How much of the schedule runs from the picture (0 < strength ≤ 1); used with initImage. */
  strength?: number | null
}

/** Commands main sends to the inference process. */
export type InferenceCommand =
  | { type: 'generate'; jobId: string; request: GenerationRequest }
  /** Sets the interrupt flag; honoured at the top of the next step (diffusers semantics). */
  | { type: 'stop'; jobId: string }
  /** Replaces the live CFG cutoff if its step has not been reached yet. */
  | { type: 'set-cfg-cutoff'; jobId: string; cutoff: CfgCutoff | null }
  /** Drops loaded sessions (model switch, memory pressure). */
  | { type: 'release' }
  /** Asks for an {@link InferenceProcessStatus}; answered with a `status` message carrying `requestId`. */
  | { type: 'status'; requestId: number }

/** The inference process's memory and what it has loaded. */
export interface InferenceProcessStatus {
  /** `process.memoryUsage().rss` of the inference process (onnxruntime's memory included). */
  rssBytes: number
  /** The model folder whose pipeline is loaded, or null. */
  modelDir: string | null
  /** The provider that pipeline was asked to use. */
  provider: string | null
  /** The graphs with a live session, and the provider each actually runs on. */
  components: { component: string; provider: string }[]
}

/** Phases of a job as the inference process reports them: the pipeline's own phases. */
export type InferencePhase = PipelinePhase

/** RGBA pixels; `rgba.byteLength === width * height * 4`. */
export interface RgbaFrame {
  width: number
  height: number
  rgba: ArrayBuffer
}

/** One finished denoising step as the inference process sends it: its report and preview. */
export interface InferenceStep extends StepReport {
  /** Latent-resolution preview, or null when previews are off for this step. */
  preview: RgbaFrame | null
}

/** What the inference process reports about the live CFG cutoff. */
export interface CutoffReport {
  /** The cutoff now in force (null: guidance until the end). */
  cutoff: CfgCutoff | null
  /** The step index after which guidance ends, or null. */
  cutoffStep: number | null
  /** True once guidance has ended: the cutoff can no longer change. */
  locked: boolean
  /** Set when a requested change was refused, saying why. */
  refused?: string
}

/** The outcome of a finished (or stopped) generation. */
export interface GenerationResult {
  images: RgbaFrame[]
  /** The pipeline that ran: `sd` (StableDiffusionPipeline) or `sdxl`. */
  family: PipelineFamily
  seed: number
  width: number
  height: number
  scheduler: SchedulerClassName
  numInferenceSteps: number
  numTimesteps: number
  /** The strength of an image-to-image / inpainting run; null for text-to-image. */
  strength: number | null
  /** Where step 0 sits in the scheduler's full timestep list (0 for text-to-image). */
  startStep: number
  /** Whether the scheduler used Karras sigmas (asked for, or set in the model's config). */
  useKarrasSigmas: boolean
  /** The `algorithm_type` that ran, for the DPM-Solver schedulers. */
  algorithmType?: AlgorithmType
  guidanceScale: number
  stepsRun: number
  interrupted: boolean
  /** The CFG cutoff in force when the run ended (it may have been changed while running). */
  cfgCutoff: CfgCutoff | null
  /** Index of the last step that ran with guidance before the cutoff ended it, or null. */
  cfgCutoffStep: number | null
  /** The execution provider the sessions actually ran on. */
  provider: string
  /** Set when the UNet could not run with a reduced batch after a CFG cutoff. */
  unetBatchFallback?: string
  totalMs: number
  unetMs: number
  warnings: string[]
}

/** Events the inference process sends to main about a job. */
export type InferenceEvent =
  | { type: 'state'; jobId: string; phase: InferencePhase }
  | { type: 'step'; jobId: string; step: InferenceStep }
  | { type: 'cutoff'; jobId: string; report: CutoffReport }
  | { type: 'warning'; jobId: string; message: string }
  | { type: 'done'; jobId: string; result: GenerationResult }
  | { type: 'failed'; jobId: string; message: string }

/**
 * Everything the inference process sends: the job events, plus `fatal` when the process is
 * about to die of an uncaught error (the client uses it as the message of the running job's
 * failure; it is never emitted to listeners).
 */
export type InferenceMessage =
  | InferenceEvent
  | { type: 'fatal'; message: string }
  | { type: 'status'; requestId: number; status: InferenceProcessStatus }
