import type { ModelFolder } from '../models/model-folder'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { PipelineComponents } from './pipeline-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type {
  FromPretrainedOptions,
  OutputType,
  PipelineOutput,
  SDXLCallOptions
} from './pipeline-types'
import { SDXL_TENSOR_INPUTS, sdxlFamilyHooks } from './sdxl-family-hooks'

/**
 * diffusers' `StableDiffusionXLPipeline` over ONNX graphs: two text encoders (penultimate hidden
 * states concatenated, pooled `text_embeds`), micro-conditioning `time_ids`,
 * `force_zeros_for_empty_prompt`, optional `denoisingEnd`.
 *
 * Callback tensor names: `latents`, `prompt_embeds`, `add_text_embeds`, `add_time_ids` (all
 * CFG-concatenated `[uncond; cond]`, all written back).
 */
export class StableDiffusionXLPipeline extends DiffusionPipeline {
  readonly family = 'sdxl' as const
  readonly callbackTensorInputs: readonly string[] = SDXL_TENSOR_INPUTS
  protected readonly diffusersDefaultGuidance = 5.0

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /**
   * diffusers' `from_pipe`: a text-to-image pipeline on another SDXL pipeline's components (its
   * sessions are shared, not loaded again) and scheduler.
   */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionXLPipeline {
    requireFamily(pipe, 'sdxl', 'StableDiffusionXLPipeline')
    return new StableDiffusionXLPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Opens a model folder whose `model_index.json` names an SDXL pipeline. */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionXLPipeline> {
    return StableDiffusionXLPipeline.create(await openFolderFor('sdxl', modelDir), options)
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForText2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionXLPipeline> {
    const pipe = new StableDiffusionXLPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** Generates images (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    asked: SDXLCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    const options = this.callOptions(asked)
    return this.generate(options, sdxlFamilyHooks(this, options, SDXL_TENSOR_INPUTS, null), asked)
  }
}
