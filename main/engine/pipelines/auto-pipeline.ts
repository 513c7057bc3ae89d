import { openModelFolder } from '../models/model-folder'
import { resolvePretrained } from './pipeline-loading'
import type { FromPretrainedOptions } from './pipeline-types'
import { StableDiffusionPipeline } from './stable-diffusion-pipeline'
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
}
