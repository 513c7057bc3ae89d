import type { ModelFolder } from '../models/model-folder'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { Img2ImgCallOptions, InpaintCallOptions } from './image-pipeline-types'
import { img2imgRun, inpaintRun } from './image-runs'
import type { PipelineComponents } from './shared-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type { FromPretrainedOptions, OutputType, PipelineOutput } from './pipeline-types'
import { SD_INPAINT_TENSOR_INPUTS, SD_TENSOR_INPUTS, sdFamilyHooks } from './sd-family-hooks'

/**
 * diffusers' `StableDiffusionImg2ImgPipeline` over ONNX graphs: the picture is encoded, noised to
 * the timestep where `strength` enters the schedule, and denoised from there by the same loop as
 * text-to-image (callbacks, previews, Stop and guidance cutoffs alike). Step index 0 is the first
 * timestep that runs; the result's `startStep` says where that is in the full schedule.
 *
 * ```ts
 * const pipe = await StableDiffusionImg2ImgPipeline.fromPretrained(dir)
 * const out = await pipe.call({ prompt: 'a red square', image, strength: 0.6, generator })
 * ```
 */
export class StableDiffusionImg2ImgPipeline extends DiffusionPipeline {
  readonly family = 'sd' as const
  readonly callbackTensorInputs: readonly string[] = SD_TENSOR_INPUTS
  protected readonly className = 'StableDiffusionImg2ImgPipeline'
  protected readonly diffusersDefaultGuidance = 7.5
  protected override readonly startsFromImage = true

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /** Opens a Stable Diffusion 1.x/2.x model folder (any of its pipeline classes). */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionImg2ImgPipeline> {
    return StableDiffusionImg2ImgPipeline.create(
      await openFolderFor('sd', modelDir, options),
      options
    )
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForImage2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionImg2ImgPipeline> {
    const pipe = new StableDiffusionImg2ImgPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** diffusers' `from_pipe`: this pipeline on another SD pipeline's sessions and scheduler. */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionImg2ImgPipeline {
    requireFamily(pipe, 'sd', 'StableDiffusionImg2ImgPipeline')
    return new StableDiffusionImg2ImgPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Transforms `image` toward the prompt (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    options: Img2ImgCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    rejectLatents(options, 'StableDiffusionImg2ImgPipeline')
    const image = img2imgRun({
      family: 'sd',
      image: options.image,
      strength: options.strength ?? 0.8,
      height: options.height,
      width: options.width
    })
    return this.generate(
      options,
      sdFamilyHooks(options, SD_TENSOR_INPUTS, this.className),
      options,
      image
    )
  }
}

/**
 * diffusers' `StableDiffusionInpaintPipeline` over ONNX graphs, with either kind of UNet: a
 * 9-channel inpainting UNet gets the mask and the masked picture's latents beside the latents; an
 * ordinary 4-channel UNet denoises the latents and the known region is put back (noised to the
 * next timestep) after every step. Callback tensor names add `mask` and `masked_image_latents`
 * (CFG-doubled like `prompt_embeds`; the cutoff callbacks halve them too).
 */
export class StableDiffusionInpaintPipeline extends DiffusionPipeline {
  readonly family = 'sd' as const
  readonly callbackTensorInputs: readonly string[] = SD_INPAINT_TENSOR_INPUTS
  protected readonly className = 'StableDiffusionInpaintPipeline'
  protected readonly diffusersDefaultGuidance = 7.5
  protected override readonly startsFromImage = true

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /** Opens a Stable Diffusion 1.x/2.x model folder (an inpainting one or an ordinary one). */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionInpaintPipeline> {
    return StableDiffusionInpaintPipeline.create(
      await openFolderFor('sd', modelDir, options),
      options
    )
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForInpainting). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionInpaintPipeline> {
    const pipe = new StableDiffusionInpaintPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** diffusers' `from_pipe`: this pipeline on another SD pipeline's sessions and scheduler. */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionInpaintPipeline {
    requireFamily(pipe, 'sd', 'StableDiffusionInpaintPipeline')
    return new StableDiffusionInpaintPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Repaints the masked region of `image` (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    options: InpaintCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    rejectPaddingMaskCrop(options)
    const image = inpaintRun({
      family: 'sd',
      image: options.image,
      maskImage: options.maskImage,
      maskedImageLatents: options.maskedImageLatents,
      strength: options.strength ?? 1.0,
      height: options.height,
      width: options.width
    })
    return this.generate(
      options,
      sdFamilyHooks(options, SD_INPAINT_TENSOR_INPUTS, this.className),
      options,
      image
    )
  }
}

/** diffusers' SD img2img `__call__` has no `latents`; passing them is a mistake worth naming. */
export function rejectLatents(options: object, className: string): void {
  const latents = (options as { latents?: unknown }).latents
  if (latents !== undefined && latents !== null) {
    throw new Error(
      `${className} takes no latents; pass the starting latents as image (a [batch, 4, h, w] tensor) instead`
    )
  }
}

/** `paddingMaskCrop` (crop around the mask, paste back) is not implemented. */
export function rejectPaddingMaskCrop(options: object): void {
  const crop = (options as { paddingMaskCrop?: unknown }).paddingMaskCrop
  if (crop !== undefined && crop !== null) {
    throw new Error(
      'paddingMaskCrop is not supported: Stepwise inpaints the whole picture at the run size'
    )
  }
}
