import { openModelFolder } from '../models/model-folder'
import type { DiffusionPipeline } from './diffusion-pipeline'
import { resolvePretrained } from './pipeline-loading'
import type { FromPretrainedOptions } from './pipeline-types'
import {
  StableDiffusionImg2ImgPipeline,
  StableDiffusionInpaintPipeline
} from './stable-diffusion-image-pipelines'
import { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import {
  StableDiffusionXLImg2ImgPipeline,
  StableDiffusionXLInpaintPipeline
} from './stable-diffusion-xl-image-pipelines'
import { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'

/**
 * diffusers' `AutoPipelineForText2Image`: opens a model folder and returns the text-to-image
 * pipeline its `model_index.json` names — {@link StableDiffusionPipeline} for SD 1.x/2.x
 * (`StableDiffusionPipeline`, `ORTStableDiffusionPipeline`, `OnnxStableDiffusionPipeline`) or
 * {@link StableDiffusionXLPipeline} for SDXL.
 */
export class AutoPipelineForText2Image {
  private constructor() {}

  /**
   * Opens a model folder, or a Hugging Face Hub id (`owner/name`) through the Hugging Face cache
   * (see {@link FromPretrainedOptions}), and picks the pipeline class. Sessions are created lazily
   * unless `preload`.
   */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionPipeline | StableDiffusionXLPipeline> {
    const folder = await openModelFolder(await resolvePretrained(modelDir, options))
    return folder.family === 'sdxl'
      ? StableDiffusionXLPipeline.create(folder, options)
      : StableDiffusionPipeline.create(folder, options)
  }

  /** The text-to-image pipeline of `pipe`'s family on its sessions and scheduler (`from_pipe`). */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionPipeline | StableDiffusionXLPipeline {
    return pipe.family === 'sdxl'
      ? StableDiffusionXLPipeline.fromPipe(pipe)
      : StableDiffusionPipeline.fromPipe(pipe)
  }
}

/**
 * diffusers' `AutoPipelineForImage2Image`: {@link StableDiffusionImg2ImgPipeline} or
 * {@link StableDiffusionXLImg2ImgPipeline}, by the folder's family.
 */
export class AutoPipelineForImage2Image {
  private constructor() {}

  /**
   * Opens a model folder or a Hugging Face Hub id (as {@link AutoPipelineForText2Image}) and
   * picks the pipeline class.
   */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionImg2ImgPipeline | StableDiffusionXLImg2ImgPipeline> {
    const folder = await openModelFolder(await resolvePretrained(modelDir, options))
    return folder.family === 'sdxl'
      ? StableDiffusionXLImg2ImgPipeline.create(folder, options)
      : StableDiffusionImg2ImgPipeline.create(folder, options)
  }

  /** The image-to-image pipeline of `pipe`'s family on its sessions and scheduler (`from_pipe`). */
  static fromPipe(
    pipe: DiffusionPipeline
  ): StableDiffusionImg2ImgPipeline | StableDiffusionXLImg2ImgPipeline {
    return pipe.family === 'sdxl'
      ? StableDiffusionXLImg2ImgPipeline.fromPipe(pipe)
      : StableDiffusionImg2ImgPipeline.fromPipe(pipe)
  }
}

/**
 * diffusers' `AutoPipelineForInpainting`: {@link StableDiffusionInpaintPipeline} or
 * {@link StableDiffusionXLInpaintPipeline}, by the folder's family; a 9-channel inpainting UNet
 * and an ordinary 4-channel one both work.
 */
export class AutoPipelineForInpainting {
  private constructor() {}

  /**
   * Opens a model folder or a Hugging Face Hub id (as {@link AutoPipelineForText2Image}) and
   * picks the pipeline class.
   */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionInpaintPipeline | StableDiffusionXLInpaintPipeline> {
    const folder = await openModelFolder(await resolvePretrained(modelDir, options))
    return folder.family === 'sdxl'
      ? StableDiffusionXLInpaintPipeline.create(folder, options)
      : StableDiffusionInpaintPipeline.create(folder, options)
  }

  /** The inpainting pipeline of `pipe`'s family on its sessions and scheduler (`from_pipe`). */
  static fromPipe(
    pipe: DiffusionPipeline
  ): StableDiffusionInpaintPipeline | StableDiffusionXLInpaintPipeline {
    return pipe.family === 'sdxl'
      ? StableDiffusionXLInpaintPipeline.fromPipe(pipe)
      : StableDiffusionInpaintPipeline.fromPipe(pipe)
  }
}
