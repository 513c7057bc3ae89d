import type { LatentRgbFactors } from '../previews/latent-rgb-factors'
import { latentsToRGB, type RgbaImage } from '../previews/latents-to-rgb'
import { isTensor } from '../tensor/float-tensor'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { PipelineCallback } from './pipeline-callback'

/** One preview picture (RGBA at latent resolution, first image of the batch). */
export interface PreviewFrame extends RgbaImage {
  stepIndex: number
  timestep: number
  /** `'x0'`: the scheduler's predicted clean latents; `'latents'`: the noisy latents after the step. */
  source: 'x0' | 'latents'
}

/** Options of {@link PreviewCallback}. */
export interface PreviewCallbackOptions {
  /** Receives each preview; may be async (the step waits for it). */
  onPreview: (frame: PreviewFrame) => void | Promise<void>
  /** Preview every N-th step index (0, N, 2N, …). Default 1. */
  every?: number
  /** Also preview the last step even when it is not a multiple of `every`. Default true. */
  includeLastStep?: boolean
  /** Table to use; default the pipeline's (the model's `stepwise.json` factors, else the family's). */
  factors?: LatentRgbFactors
  /**
   * `'auto'` (default) previews the scheduler's predicted x0 when it gives one and the latents
   * otherwise; `'latents'` always previews the latents, like diffusers' `decode_tensors` example.
   */
  source?: 'auto' | 'latents'
}

/**
 * Live previews: every `every` steps, maps latents to RGB with a linear table (no VAE run) and
 * hands the picture to `onPreview`. Uses the predicted x0 when available because raw latents of
 * sigma-scaled schedulers (Euler and friends) are dominated by noise early on.
 */
export class PreviewCallback extends PipelineCallback {
  private readonly options: Required<Omit<PreviewCallbackOptions, 'factors'>> & {
    factors: LatentRgbFactors | null
  }

  constructor(options: PreviewCallbackOptions) {
    super()
    const every = options.every ?? 1
    if (!Number.isInteger(every) || every < 1) {
      throw new Error(`every must be a positive integer, got ${every}`)
    }
    this.options = {
      onPreview: options.onPreview,
      every,
      includeLastStep: options.includeLastStep ?? true,
      factors: options.factors ?? null,
      source: options.source ?? 'auto'
    }
  }

  override get tensorInputs(): readonly string[] {
    return ['latents']
  }

  /** Whether step `stepIndex` of `numTimesteps` gets a preview. */
  wantsStep(stepIndex: number, numTimesteps: number): boolean {
    return (
      stepIndex % this.options.every === 0 ||
      (this.options.includeLastStep && stepIndex === numTimesteps - 1)
    )
  }

  override async callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    timestep: number,
    callbackKwargs: CallbackKwargs
  ): Promise<CallbackKwargs> {
    if (!this.wantsStep(stepIndex, pipeline.numTimesteps)) return callbackKwargs
    const x0 =
      this.options.source === 'auto' ? (pipeline.currentStep?.predOriginalSample ?? null) : null
    const latents = x0 ?? callbackKwargs.latents
    if (!isTensor(latents)) {
      throw new Error('PreviewCallback needs callbackKwargs.latents to be a tensor')
    }
    const image = latentsToRGB(latents, this.options.factors ?? pipeline.latentRgbFactors)
    await this.options.onPreview({
      ...image,
      stepIndex,
      timestep,
      source: x0 !== null ? 'x0' : 'latents'
    })
    return callbackKwargs
  }
}
