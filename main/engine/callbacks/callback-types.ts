import type { Tensor } from 'onnxruntime-node'
import type { LatentRgbFactors } from '../previews/latent-rgb-factors'
import type { PipelineFamily } from '../models/model-index'
import type { Scheduler } from '../schedulers/scheduler'
import type { PreviewRenderer } from '../previews/preview-renderer'

/**
 * The tensor names `StableDiffusionPipeline` hands to step-end callbacks (diffusers'
 * `_callback_tensor_inputs`): the latents, the CFG-concatenated `[uncond; cond]` prompt
 * embeddings, and the negative prompt embeddings.
 */
export type SDTensorInput = 'latents' | 'prompt_embeds' | 'negative_prompt_embeds'

/**
 * The tensor names `StableDiffusionXLPipeline` hands to step-end callbacks: the latents and the
 * CFG-concatenated prompt embeddings, pooled text embeddings and micro-conditioning time ids.
 */
export type SDXLTensorInput = 'latents' | 'prompt_embeds' | 'add_text_embeds' | 'add_time_ids'

/**
 * The tensors a step-end callback receives and may replace, under diffusers' names (the keys of
 * diffusers' `callback_kwargs` dict: `latents`, `prompt_embeds`, `negative_prompt_embeds`,
 * `add_text_embeds`, `add_time_ids`). `N` is the pipeline's tensor-name union
 * ({@link SDTensorInput}, {@link SDXLTensorInput}); only the names requested through
 * `callbackOnStepEndTensorInputs` are present, and a value is null where the pipeline has none
 * (SD's `negative_prompt_embeds` when CFG was off at encode time).
 */
export type CallbackKwargs<N extends string = string> = string extends N
  ? Record<string, Tensor | null>
  : { [K in N]?: Tensor | null }

/** What the step that just ran did; readable from callbacks through `pipeline.currentStep`. */
export interface StepState {
  stepIndex: number
  /** The scheduler's timestep value (e.g. 999 or 957.3), not sigma. */
  timestep: number
  /** Effective batch B (prompts × images per prompt). */
  batchSize: number
  /** Whether classifier-free guidance was applied in this step. */
  cfg: boolean
  /** The guidance scale used in this step. */
  guidanceScale: number
  /** Rows the UNet computed in this step (2B with CFG, B without; more if its batch is fixed). */
  unetBatch: number
  /** Milliseconds inside the UNet's `session.run` (all chunks). */
  unetMs: number
  /** The scheduler's predicted x0 (`pred_original_sample`), in the loop's latent space, if it gives one. */
  predOriginalSample: Tensor | null
}

/**
 * Classifier-free guidance switched off but ready to come back: the unconditional rows of each
 * CFG-doubled conditioning tensor (`[negative × B ; positive × B]` keeps rows 0 … B − 1 here),
 * and the guidance scale to restore with them.
 */
export interface KeptAsideGuidance {
  guidanceScale: number
  /** Unconditional rows by the loop tensor's name (`prompt_embeds`; SDXL also `add_text_embeds`, `add_time_ids`). */
  tensors: Record<string, Tensor>
}

/**
 * The pipeline as callbacks see it: diffusers' properties plus the mutable backing fields that
 * callbacks assign (`_guidanceScale = 0` to end CFG, `_interrupt = true` to stop), exactly as in
 * diffusers. `StableDiffusionPipeline` and `StableDiffusionXLPipeline` implement it.
 */
export interface PipelineRunState {
  _guidanceScale: number
  _guidanceRescale: number
  _interrupt: boolean
  _clipSkip: number | null
  /**
   * Stepwise: the unconditional rows set aside while guidance is off (null while it is on, or
   * when the run never had them: guidance ≤ 1 from the start). A run snapshot keeps them.
   */
  _keptAside: KeptAsideGuidance | null
  /** `_guidanceScale`. */
  readonly guidanceScale: number
  /** `_guidanceRescale`. */
  readonly guidanceRescale: number
  readonly clipSkip: number | null
  /** `_guidanceScale > 1` and the UNet has no `time_cond_proj_dim`; recomputed on every read. */
  readonly doClassifierFreeGuidance: boolean
  /** Length of the timestep list the loop iterates (T); PNDM gives N + 1. */
  readonly numTimesteps: number
  /** The interrupt flag, checked at the top of every step. */
  interrupt: boolean
  /** `'sd'` (1.x/2.x) or `'sdxl'`. */
  readonly family: PipelineFamily
  /** The names `callbackOnStepEndTensorInputs` may contain for this pipeline. */
  readonly callbackTensorInputs: readonly string[]
  /** The step that just ran, while callbacks run; null outside the loop. */
  readonly currentStep: StepState | null
  /** The preview table for this model (its `stepwise.json` factors, else the family's). */
  readonly latentRgbFactors: LatentRgbFactors
  /** The scheduler running the loop (`pipeline.scheduler` in diffusers' callbacks). */
  readonly scheduler: Scheduler
  /**
   * Makes previews by each method (linear table, tiny decoder, the model's VAE) with the
   * pipeline's sessions. Stepwise's pipelines always have one; a hand-made run state without it
   * can only preview with `linear`.
   */
  readonly previews?: PreviewRenderer
}

/**
 * A plain step-end callback, diffusers' `callback_on_step_end` signature. It must return the
 * (possibly modified) kwargs object; it may be async. A pipeline's `call` types `pipeline` as that
 * pipeline (so `pipeline.scheduler`, `pipeline.unet`, … compile) and the kwargs by its tensor
 * names; a callback written for any pipeline takes {@link PipelineRunState} and
 * {@link CallbackKwargs}.
 */
export type StepEndCallbackFn<
  P extends PipelineRunState = PipelineRunState,
  N extends string = string
> = (
  pipeline: P,
  stepIndex: number,
  timestep: number,
  callbackKwargs: CallbackKwargs<N>
) => CallbackKwargs<N> | Promise<CallbackKwargs<N>>
