import type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  ProviderName,
  SchedulerClassName
} from '../../shared/params'
import type { CfgCutoffState, ModelLoadProgress } from '../../shared/contract'
import type { StepReport } from '../../shared/steps'
import type { PipelineFamily, PipelinePhase, RunSnapshot } from '../engine'

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
  /** Guidance only inside this window of the steps (null: from step 0). */
  cfgInterval: CfgInterval | null
  stopAtStep: number | null
  previewEvery: number
  /**
   * How previews are made, in the text form (`linear`, `tiny`, `vae`, `vae:N`;
   * shared/preview-method.ts); omitted: the model's default (`tiny` where it has a tiny decoder).
   */
  previewMethod?: string
  /**
   * A TAESD folder (or `.onnx` file) for `tiny` previews when the model folder has no
   * `preview_decoder/` of its own (a downloaded decoder of its family); omitted: the folder's own.
   */
  previewDecoder?: string
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
  /**
   * Continue (or branch from) this run state instead of starting from noise: the remaining steps
   * run from its latents, scheduler, random and guidance state. The request's size, steps,
   * scheduler and model must be the snapshot's; its prompts and guidance may differ (a branch).
   */
  resumeFrom?: RunSnapshot
  /**
   * Which step snapshots the result carries (the process keeps every step's in memory anyway):
   * `stopped` (default) the last one when the run was stopped, `last` the last one always,
   * `steps` every step's.
   */
  keepSnapshots?: 'stopped' | 'last' | 'steps'
  /**
   * How the run uses memory, as the run plan chose it: `normal` (default), `vae-tiles` (the VAE
   * decoded in tiles) or `low-memory` (tiles and the UNet one row per call).
   */
  memoryMode?: 'normal' | 'vae-tiles' | 'low-memory'
  /**
   * Stop now: a step that took at least this many ms writes its run state to the job's step-state
   * journal before it reports the step, so main can still read the last finished step when it
   * ends the process in the middle of the next one. Omitted: {@link STEP_STATE_AFTER_MS}; 0:
   * every step.
   */
  stepStateAfterMs?: number
}

/**
 * Steps faster than this keep their run state in the inference process only: the app offers
 * "stop now" from about a second per step, and below this writing the state (the latents, 64 KiB
 * at 512², and the prompt embeddings the first time) would cost the fast path for nothing.
 */
export const STEP_STATE_AFTER_MS = 250

/** What the inference process answers to `decode-state`: the stopped run's image, as planned. */
export interface DecodedState {
  images: RgbaFrame[]
  family: PipelineFamily
  scheduler: SchedulerClassName
  numTimesteps: number
  startStep: number
  strength: number | null
  useKarrasSigmas: boolean
  algorithmType?: AlgorithmType
  /** The provider the VAE decoder ran on. */
  provider: string
  /** Loading the pipeline's configs and the VAE decoder, and decoding, ms. */
  decodeMs: number
}

/** Commands main sends to the inference process. */
export type InferenceCommand =
  | {
      type: 'generate'
      jobId: string
      request: GenerationRequest
      /**
       * The file the job's slow steps append their run states to (step-state-journal.ts), which
       * main reads after "stop now". Omitted: no states are kept outside the process.
       */
      stepStateJournal?: string
    }
  /** Sets the interrupt flag; honoured at the top of the next step (diffusers semantics). */
  | { type: 'stop'; jobId: string }
  /** Replaces the live CFG cutoff if its step has not been reached yet. */
  | { type: 'set-cfg-cutoff'; jobId: string; cutoff: CfgCutoff | null }
  /** Replaces the live guidance interval where its bounds have not been reached yet. */
  | { type: 'set-cfg-interval'; jobId: string; interval: CfgInterval | null }
  /** Sets the guidance scale from the next step on. */
  | { type: 'set-guidance-scale'; jobId: string; guidanceScale: number }
  /**
   * Asks for the snapshot at the end of one step of the running or last job (to branch from
   * it); answered with a `snapshot` message carrying `requestId`.
   */
  | { type: 'get-snapshot'; requestId: number; jobId: string; step: number }
  /**
   * After "stop now" ended the previous process: decode the stopped run's latents (`snapshot`;
   * null when no step had finished), answered with `decoded`, then load the rest of the model,
   * answered with `reloaded`; both carry `requestId`.
   */
  | {
      type: 'decode-state'
      requestId: number
      request: GenerationRequest
      snapshot: RunSnapshot | null
    }
  /** Drops loaded sessions (model switch, memory pressure). */
  | { type: 'release' }
  /** Asks for an {@link InferenceProcessStatus}; answered with a `status` message carrying `requestId`. */
  | { type: 'status'; requestId: number }
  /** Asks whether a WebGPU adapter exists; answered with a `webgpu` message carrying `requestId`. */
  | { type: 'probe-webgpu'; requestId: number }

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

/**
 * One finished denoising step as the inference process sends it: its report (with the preview's
 * method and cost) and the preview's pixels.
 */
export interface InferenceStep extends StepReport {
  /**
   * The preview, or null when previews are off for this step: latent resolution for `linear`,
   * full resolution for `tiny` and `vae` (1 MiB at 512×512).
   */
  preview: RgbaFrame | null
}

/**
 * What the inference process reports about the live guidance (cutoff, interval, scale): the
 * contract's {@link CfgCutoffState}, which main passes on to the app as it is.
 */
export type CutoffReport = CfgCutoffState

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
  /** The guidance interval in force when the run ended, or null. */
  cfgInterval: CfgInterval | null
  /** The first step that ran with guidance (null: none did). */
  guidanceStartStep: number | null
  /** The step a continued run resumed after, or null. */
  resumedFromStep: number | null
  /** The step snapshots the request asked to keep (`keepSnapshots`), oldest first. */
  snapshots: RunSnapshot[]
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
  | { type: 'load-progress'; jobId: string; progress: ModelLoadProgress }
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
  | { type: 'webgpu'; requestId: number; found: boolean; reason: string | null }
  | { type: 'snapshot'; requestId: number; snapshot: RunSnapshot | null; reason?: string }
  | { type: 'decoded'; requestId: number; decoded: DecodedState | null; reason?: string }
  | { type: 'reloaded'; requestId: number; reason?: string }
