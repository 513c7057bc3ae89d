import type { Tensor } from 'onnxruntime-node'
import type { PipelineImageInput, PipelineMaskInput } from './image-processing'
import type { CallOptions, OutputType, SDXLCallOptions } from './pipeline-types'
import type { ImageTimeIdOptions } from './sdxl-time-ids'

/**
 * `StableDiffusionImg2ImgPipeline.call` options: text-to-image's, plus the picture and strength
 * (diffusers' `__call__` has no `latents`). `height` / `width` are a Stepwise extension: the
 * picture is resized to them (default its own size); either way both are rounded down to a
 * multiple of the VAE scale factor, as diffusers' image processor does.
 */
export interface Img2ImgCallOptions<O extends OutputType = OutputType> extends Omit<
  CallOptions<O>,
  'latents'
> {
  /** The picture to start from (RGBA pixels, a [0, 1] pixel tensor, or 4-channel latents). */
  image: PipelineImageInput
  /** How much of the schedule runs (0 < strength ≤ 1): `int(N · strength)` steps. Default 0.8. */
  strength?: number
}

/**
 * `StableDiffusionInpaintPipeline.call` options. `height` / `width` default to the UNet's sample
 * size × the VAE scale factor (diffusers' rule), and the picture and mask are resized to them.
 */
export interface InpaintCallOptions<O extends OutputType = OutputType> extends CallOptions<O> {
  /** The picture to inpaint. */
  image: PipelineImageInput
  /** White (≥ 0.5 after conversion to grey) where the picture is repainted, black where kept. */
  maskImage: PipelineMaskInput
  /** Latents of the masked picture, instead of encoding `image · (mask < 0.5)`. */
  maskedImageLatents?: Tensor | null
  /** Default 1.0: the masked region starts from pure noise. */
  strength?: number
}

/** `StableDiffusionXLImg2ImgPipeline.call` options (as diffusers; `height`/`width` as for SD). */
export interface SDXLImg2ImgCallOptions<O extends OutputType = OutputType>
  extends SDXLCallOptions<O>, ImageTimeIdOptions {
  image: PipelineImageInput
  /** Default 0.3. */
  strength?: number
  /**
   * Enter the schedule at this fraction (0 < x < 1) instead of by strength, without adding noise:
   * a refiner continuing a base pipeline's `denoisingEnd` latents.
   */
  denoisingStart?: number | null
}

/** `StableDiffusionXLInpaintPipeline.call` options. */
export interface SDXLInpaintCallOptions<O extends OutputType = OutputType>
  extends SDXLCallOptions<O>, ImageTimeIdOptions {
  image: PipelineImageInput
  maskImage: PipelineMaskInput
  maskedImageLatents?: Tensor | null
  /** Default 0.9999 (diffusers': so the image's latents still seed the masked region a little). */
  strength?: number
  denoisingStart?: number | null
}
