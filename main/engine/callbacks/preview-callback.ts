import type { LatentRgbFactors } from '../previews/latent-rgb-factors'
import { latentsToRGB, type RgbaImage } from '../previews/latents-to-rgb'
import {
  previewMethodAtStep,
  toPreviewMethod,
  type PreviewMethod,
  type PreviewMethodName
} from '../previews/preview-method'
import type { RenderedPreview } from '../previews/preview-renderer'
import { isTensor } from '../tensor/float-tensor'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { PipelineCallback } from './pipeline-callback'

/**
 * One preview picture of the first image of the batch: RGBA at latent resolution (`linear`) or
 * at full resolution (`tiny`, `vae`).
 */
export interface PreviewFrame extends RgbaImage {
  stepIndex: number
  timestep: number
  /** `'x0'`: the scheduler's predicted clean latents; `'latents'`: the noisy latents after the step. */
  source: 'x0' | 'latents'
  /** The method that made this picture (a `vae:N` run makes `vae` and `linear` frames). */
  method: PreviewMethodName
  /** What making it cost: wall time of the decoder run (if any) and the conversion, in ms. */
  ms: number
}

/** Options of {@link PreviewCallback}. */
export interface PreviewCallbackOptions {
  /** Receives each preview; may be async (the step waits for it). */
  onPreview: (frame: PreviewFrame) => void | Promise<void>
  /** Preview every N-th step index (0, N, 2N, …). Default 1. */
  every?: number
  /** Also preview the last step even when it is not a multiple of `every`. Default true. */
  includeLastStep?: boolean
  /**
   * How previews are made: `linear`, `tiny`, `vae` (the VAE every step) or `vae:N` (the VAE at
   * step indices 0, N, 2N, … and the last step, `linear` in between), as text or as a
   * {@link PreviewMethod}. Default: the model's (`pipeline.previews.defaultMethod`: `tiny` where
   * the model has a tiny decoder, else `linear`). A bad method string is refused here, with a
   * message saying what is allowed; `tiny` on a model without a tiny decoder fails the run at
   * its first preview.
   */
  method?: PreviewMethod | string
  /** Table for `linear` previews; default the pipeline's (the model's `stepwise.json` factors, else the family's). */
  factors?: LatentRgbFactors
  /**
   * `'auto'` (default) previews the scheduler's predicted x0 when it gives one and the latents
   * otherwise; `'latents'` always previews the latents, like diffusers' `decode_tensors` example.
   */
  source?: 'auto' | 'latents'
}

/**
 * Live previews: every `every` steps, turns the step's latents into a picture by the chosen
 * method and hands it to `onPreview`, with the method that made it and its cost. Uses the
 * predicted x0 when available because raw latents of sigma-scaled schedulers (Euler and friends)
 * are dominated by noise early on.
 */
export class PreviewCallback extends PipelineCallback {
  private readonly options: {
    onPreview: PreviewCallbackOptions['onPreview']
    every: number
    includeLastStep: boolean
    method: PreviewMethod | null
    factors: LatentRgbFactors | null
    source: 'auto' | 'latents'
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
      method:
        options.method === undefined || options.method === null
          ? null
          : toPreviewMethod(options.method),
      factors: options.factors ?? null,
      source: options.source ?? 'auto'
    }
  }

  override get tensorInputs(): readonly string[] {
    return ['latents']
  }

  /** The method asked for, or null for the model's default. */
  get method(): PreviewMethod | null {
    return this.options.method
  }

  /** The method a run on `pipeline` uses: the one asked for, else the model's default. */
  methodFor(pipeline: PipelineRunState): PreviewMethod {
    return this.options.method ?? pipeline.previews?.defaultMethod ?? { name: 'linear' }
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
    const method = previewMethodAtStep(this.methodFor(pipeline), stepIndex, pipeline.numTimesteps)
    const factors = this.options.factors ?? pipeline.latentRgbFactors
    let rendered: RenderedPreview
    if (pipeline.previews !== undefined) {
      rendered = await pipeline.previews.render(latents, method, factors)
    } else if (method === 'linear') {
      const start = performance.now()
      rendered = { image: latentsToRGB(latents, factors), method, ms: performance.now() - start }
    } else {
      throw new Error(
        `the ${method} preview needs a pipeline that can run decoders (pipeline.previews); this one can only preview with linear`
      )
    }
    await this.options.onPreview({
      ...rendered.image,
      stepIndex,
      timestep,
      source: x0 !== null ? 'x0' : 'latents',
      method: rendered.method,
      ms: rendered.ms
    })
    return callbackKwargs
  }
}
