import type { ModelFolder } from '../models/model-folder'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { SDXLImg2ImgCallOptions, SDXLInpaintCallOptions } from './image-pipeline-types'
import { img2imgRun, inpaintRun } from './image-runs'
import { denoisingValueValid } from './image-timesteps'
import type { PipelineComponents } from './shared-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type { FromPretrainedOptions, OutputType, PipelineOutput } from './pipeline-types'
import { rejectPaddingMaskCrop } from './stable-diffusion-image-pipelines'
import {
  SDXL_INPAINT_TENSOR_INPUTS,
  SDXL_TENSOR_INPUTS,
  sdxlFamilyHooks,
  type SdxlImageConditioning
} from './sdxl-family-hooks'

/** diffusers' check: `denoisingStart` must be before `denoisingEnd` when both are valid. */
function checkDenoisingRange(
  start: number | null | undefined,
  end: number | null | undefined
): void {
  if (denoisingValueValid(start) && denoisingValueValid(end) && start >= end) {
    throw new Error(
      `denoisingStart ${start} must be below denoisingEnd ${end}: the run would end before it starts`
    )
  }
}

function imageConditioning(folder: ModelFolder): SdxlImageConditioning {
  return { requiresAestheticsScore: folder.index.raw.requires_aesthetics_score === true }
}

/**
 * diffusers' `StableDiffusionXLImg2ImgPipeline` over ONNX graphs, the SDXL refiner included
 * (`requires_aesthetics_score` in model_index.json: `aestheticScore` / `negativeAestheticScore`
 * replace the target size in `time_ids`). `denoisingStart` enters the schedule at a fraction
 * instead of by strength, without adding noise, so a refiner continues a base run's
 * `denoisingEnd` latents.
 */
export class StableDiffusionXLImg2ImgPipeline extends DiffusionPipeline {
  readonly family = 'sdxl' as const
  readonly callbackTensorInputs: readonly string[] = SDXL_TENSOR_INPUTS
  protected readonly className = 'StableDiffusionXLImg2ImgPipeline'
  protected readonly diffusersDefaultGuidance = 5.0
  protected override readonly startsFromImage = true

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /** Opens an SDXL model folder (base, refiner or inpainting). */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionXLImg2ImgPipeline> {
    return StableDiffusionXLImg2ImgPipeline.create(
      await openFolderFor('sdxl', modelDir, options),
      options
    )
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForImage2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionXLImg2ImgPipeline> {
    const pipe = new StableDiffusionXLImg2ImgPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** diffusers' `from_pipe`: this pipeline on another SDXL pipeline's sessions and scheduler. */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionXLImg2ImgPipeline {
    requireFamily(pipe, 'sdxl', 'StableDiffusionXLImg2ImgPipeline')
    return new StableDiffusionXLImg2ImgPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Transforms `image` toward the prompt (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    options: SDXLImg2ImgCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    checkDenoisingRange(options.denoisingStart, options.denoisingEnd)
    const image = img2imgRun({
      family: 'sdxl',
      image: options.image,
      strength: options.strength ?? 0.3,
      height: options.height,
      width: options.width,
      denoisingStart: options.denoisingStart
    })
    const hooks = sdxlFamilyHooks(
      this,
      options,
      SDXL_TENSOR_INPUTS,
      this.className,
      imageConditioning(this.folder)
    )
    return this.generate(options, hooks, options, image)
  }
}

/**
 * diffusers' `StableDiffusionXLInpaintPipeline` over ONNX graphs, with a 9-channel SDXL
 * inpainting UNet or an ordinary 4-channel one (latent blending). Callback tensor names add
 * `mask` and `masked_image_latents`.
 */
export class StableDiffusionXLInpaintPipeline extends DiffusionPipeline {
  readonly family = 'sdxl' as const
  readonly callbackTensorInputs: readonly string[] = SDXL_INPAINT_TENSOR_INPUTS
  protected readonly className = 'StableDiffusionXLInpaintPipeline'
  protected readonly diffusersDefaultGuidance = 7.5
  protected override readonly startsFromImage = true

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /** Opens an SDXL model folder (an inpainting one or an ordinary one). */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionXLInpaintPipeline> {
    return StableDiffusionXLInpaintPipeline.create(
      await openFolderFor('sdxl', modelDir, options),
      options
    )
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForInpainting). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionXLInpaintPipeline> {
    const pipe = new StableDiffusionXLInpaintPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** diffusers' `from_pipe`: this pipeline on another SDXL pipeline's sessions and scheduler. */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionXLInpaintPipeline {
    requireFamily(pipe, 'sdxl', 'StableDiffusionXLInpaintPipeline')
    return new StableDiffusionXLInpaintPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Repaints the masked region of `image` (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    options: SDXLInpaintCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    rejectPaddingMaskCrop(options)
    checkDenoisingRange(options.denoisingStart, options.denoisingEnd)
    const image = inpaintRun({
      family: 'sdxl',
      image: options.image,
      maskImage: options.maskImage,
      maskedImageLatents: options.maskedImageLatents,
      strength: options.strength ?? 0.9999,
      height: options.height,
      width: options.width,
      denoisingStart: options.denoisingStart
    })
    const hooks = sdxlFamilyHooks(
      this,
      options,
      SDXL_INPAINT_TENSOR_INPUTS,
      this.className,
      imageConditioning(this.folder)
    )
    return this.generate(options, hooks, options, image)
  }
}
