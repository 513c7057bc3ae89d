import type { Tensor } from 'onnxruntime-node'
import type { StepMetrics } from '../../../shared/steps'
import type { PipelineRunState, StepEndCallbackFn } from '../callbacks/callback-types'
import type { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import type { PipelineCallback } from '../callbacks/pipeline-callback'
import type { DownloadEvent } from '../hub/download-events'
import type { ExecutionProviderName, SessionSettings } from '../models/execution-providers'
import type { LoadProgressListener } from '../models/load-progress'
import type { OnnxComponent } from '../models/model-folder'
import type { RgbaImage } from '../previews/latents-to-rgb'
import type { Generator } from '../random/generator'
import type { RunSnapshot } from '../snapshots/run-snapshot'
import type { PromptTextFixing } from '../tokenizer/prompt-text'

/** `'image'`: RGBA pictures; `'latent'`: the final latents as a Tensor (diffusers' `"latent"`). */
export type OutputType = 'image' | 'latent'

/** Phases of a call, for progress display. */
export type PipelinePhase = 'loading' | 'encoding' | 'denoising' | 'decoding'

/**
 * Options of `fromPretrained(nameOrPath, options)`. `nameOrPath` is a model folder, or a Hugging
 * Face Hub id (`owner/name`) when no such folder exists: its ONNX pipeline is then taken from the
 * Hugging Face cache, or downloaded into it (`revision`, `token`, `cacheDir`).
 */
export interface FromPretrainedOptions extends SessionSettings {
  /** Create every session now instead of on first use. Default false (lazy). */
  preload?: boolean
  /**
   * How the tokenizers clean prompt text before CLIP's BPE: `'ftfy'` (default, as diffusers'
   * `CLIPTokenizer` with ftfy), `'clip'` (as OpenAI CLIP's training tokenizer) or `'none'` (as
   * `CLIPTokenizerFast`). A call's own `textFixing` overrides it for that call.
   */
  textFixing?: PromptTextFixing
  /**
   * Refuse a call whose estimated memory (see pipelines/memory-estimate.ts) is above this many
   * bytes, before anything is allocated. Default: 75% of this machine's physical memory.
   */
  memoryLimitBytes?: number
  /** For a Hub id: the branch, tag or commit. Default `main`. */
  revision?: string
  /** For a Hub id: an access token for gated or private repositories; default `HF_TOKEN`. */
  token?: string
  /**
   * For a Hub id: the Hugging Face cache folder; default `HF_HUB_CACHE`, else `HF_HOME/hub`,
   * else `~/.cache/huggingface/hub`.
   */
  cacheDir?: string
  /** For a Hub id: use only a snapshot already in the cache, never the network. */
  localFilesOnly?: boolean
  /** For a Hub id: download progress (`resolved`, `plan`, `progress`, `file-done`, `complete`). */
  onDownload?: (event: DownloadEvent) => void
  /**
   * Loading progress per component: `{ component, label, index, total, phase: 'start' | 'done',
   * bytes, ms }` as each graph's onnxruntime session is created (with `preload`, or at the first
   * call that needs it: text encoder(s), UNet, VAE decoder, and the VAE encoder for image runs,
   * numbered as one load; a preview decoder at its first tiny preview, 1 of 1). Pipelines made
   * with `fromPipe` share the listener with the sessions.
   */
  onLoadProgress?: LoadProgressListener
  /**
   * A tiny (TAESD-class) preview decoder stored outside the model folder: a TAESD folder in the
   * Hub's layout (`vae_decoder/model.onnx`, e.g. deinferno/taesd-onnx, julienkay/taesdxl), a
   * folder with `preview_decoder/model.onnx` or `model.onnx`, or the `.onnx` file. It replaces
   * the folder's own `preview_decoder/` for `tiny` previews; change it later with
   * `pipeline.previews.setTinyDecoder(path)`.
   */
  previewDecoder?: string | null
}

/**
 * What one denoising step did (no tensors): the record kept in the result. `unetBatch` can exceed
 * 2B for a UNet exported with a fixed batch.
 */
export type StepRecord = StepMetrics

/**
 * The per-step observation hook's argument: the step's record plus the tensors an app needs
 * (latents after the step and callbacks; the scheduler's x0 prediction when it gives one).
 */
export interface StepEndInfo extends StepRecord {
  numTimesteps: number
  latents: Tensor
  predOriginalSample: Tensor | null
  /**
   * diffusers' progress bar after this step: `value` of `total` (= numInferenceSteps). PNDM's
   * extra timestep and second-order warm-up steps do not advance it, as in diffusers.
   */
  progress: { value: number; total: number }
  /**
   * The run's state now (after this step's callbacks), for continuing or branching from this
   * step later: `pipe.call({ resumeFrom: info.snapshot() })`. Taken when called; cheap (the
   * latents and the scheduler's arrays are copied, the conditioning is shared).
   */
  snapshot(): RunSnapshot
}

/**
 * A callback in any of diffusers' three forms. `P` and `N` type a plain function's `pipeline`
 * and kwargs (the pipeline class and its tensor names).
 */
export type StepEndCallback<
  P extends PipelineRunState = PipelineRunState,
  N extends string = string
> = StepEndCallbackFn<P, N> | PipelineCallback | MultiPipelineCallbacks

/**
 * Call options shared by the SD and SDXL pipelines (diffusers' `__call__` arguments, camelCase).
 * `P` is the pipeline a plain callback receives and `N` its tensor names; each pipeline's `call`
 * fills them in ({@link StableDiffusionPipeline}: `SDTensorInput`).
 */
export interface CallOptions<
  O extends OutputType = OutputType,
  P extends PipelineRunState = PipelineRunState,
  N extends string = string
> {
  /** One prompt, or a list for a batch. */
  prompt?: string | string[] | null
  negativePrompt?: string | string[] | null
  /** Default 50, or the model's `stepwise.json` default. */
  numInferenceSteps?: number
  /** Default 7.5 (SD) / 5.0 (SDXL), or the model's `stepwise.json` default. */
  guidanceScale?: number
  guidanceRescale?: number
  /** Default `sample_size × vae_scale_factor` (or `stepwise.json`). */
  height?: number
  width?: number
  numImagesPerPrompt?: number
  /** One generator, or one per image (B = prompts × images per prompt). */
  generator?: Generator | Generator[] | null
  /** Start latents `[B, C, h/8, w/8]` instead of noise (scaled by `initNoiseSigma`, as in diffusers). */
  latents?: Tensor | null
  /**
   * The `eta` of the schedulers whose step takes one (DDIM, TCD; ignored by the others). 0 when
   * omitted, as diffusers' pipelines pass `eta=0.0`: TCD's own default of 0.3 applies only when
   * its `step` is called without one, so pass `eta: 0.3` for the TCD paper's setting.
   */
  eta?: number
  outputType?: O
  promptEmbeds?: Tensor | null
  negativePromptEmbeds?: Tensor | null
  clipSkip?: number | null
  /** How prompt text is cleaned for this call; default the pipeline's (see `FromPretrainedOptions`). */
  textFixing?: PromptTextFixing
  callbackOnStepEnd?: StepEndCallback<P, N> | null
  /**
   * Names of tensors passed to a plain-function callback; default `['latents']`. A
   * `PipelineCallback` brings its own list instead, as in diffusers.
   */
  callbackOnStepEndTensorInputs?: readonly N[]
  /**
   * Observation hook, called after each step that ran (after the callbacks), with timings, UNet
   * batch, CFG flag and tensors. It cannot change the run (use `callbackOnStepEnd` for that).
   */
  onStepEnd?: (info: StepEndInfo) => void | Promise<void>
  /** Called when the call enters a phase. */
  onPhase?: (phase: PipelinePhase) => void
  /**
   * Continue a run from a snapshot (`info.snapshot()`, `output.snapshot`, or a file read with
   * `parseRunSnapshot`): the remaining steps run through the same loop from the saved latents,
   * scheduler, random and guidance state, so a run stopped after step k and continued gives the
   * uninterrupted run's latents bit for bit. Options left out take the snapshot's values; a
   * branch may change the prompts, the guidance scale (a scale other than the one the run
   * started with replaces the one its guidance has now) and the callbacks (e.g. another cutoff
   * or guidance interval). The size, steps and model stay: asking to change them is an error, and
   * the scheduler is the snapshot's (`pipe.scheduler` becomes its class and config, restored).
   */
  resumeFrom?: RunSnapshot | null
}

/** SDXL-only call options. */
export interface SDXLCallOptions<
  O extends OutputType = OutputType,
  P extends PipelineRunState = PipelineRunState,
  N extends string = string
> extends CallOptions<O, P, N> {
  prompt2?: string | string[] | null
  negativePrompt2?: string | string[] | null
  pooledPromptEmbeds?: Tensor | null
  negativePooledPromptEmbeds?: Tensor | null
  /** `(height, width)` micro-conditioning; default the output size. */
  originalSize?: [number, number] | null
  cropsCoordsTopLeft?: [number, number]
  targetSize?: [number, number] | null
  negativeOriginalSize?: [number, number] | null
  negativeCropsCoordsTopLeft?: [number, number]
  negativeTargetSize?: [number, number] | null
  /** Stop denoising at this fraction of the schedule (0 < x < 1), for a refiner to continue. */
  denoisingEnd?: number | null
}

/** The images of a call: RGBA pictures, or the final latents for `outputType: 'latent'`. */
export type OutputImages<O extends OutputType> = O extends 'latent' ? Tensor : RgbaImage[]

/** What a call returns. */
export interface PipelineOutput<O extends OutputType = 'image'> {
  images: OutputImages<O>
  /** Always null: ONNX exports carry no safety checker. */
  nsfwContentDetected: null
  width: number
  height: number
  /** The scheduler class that ran. */
  scheduler: string
  numInferenceSteps: number
  /** T, the number of timesteps the loop iterated. */
  numTimesteps: number
  /**
   * Where the run entered the scheduler's full timestep list: 0 for text-to-image; for an image
   * run the index of its first timestep (step index 0 of the run is this place in the schedule).
   */
  startStep: number
  /** The strength of an image run (null for text-to-image and SDXL's `denoisingStart`). */
  strength: number | null
  /**
   * Steps of the run done when the call ended, counting a continued run's earlier steps (fewer
   * than T when interrupted).
   */
  stepsRun: number
  /** The step a continued run resumed after (its snapshot's step), or null. */
  resumedFromStep: number | null
  /** The run's state after its last step, to continue it later; null when no step ran. */
  snapshot: RunSnapshot | null
  /** The interrupt flag was set during the run. */
  interrupted: boolean
  /** The guidance scale the call was asked for. */
  guidanceScale: number
  /** The execution provider the UNet ran on. */
  provider: ExecutionProviderName
  /** The provider of every graph that ran. */
  providers: Partial<Record<OnnxComponent, ExecutionProviderName>>
  /** Set when a graph's fixed batch size forced chunked runs (e.g. after a CFG cutoff). */
  unetBatchFallback: string | null
  steps: StepRecord[]
  totalMs: number
  /** Sum of the UNet's `session.run` time over all steps. */
  unetMs: number
  /** Truncated prompts, provider fallbacks, config fallbacks, … */
  warnings: string[]
}
