import type { ModelFolder } from '../models/model-folder'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { PipelineComponents } from './pipeline-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type {
  CallOptions,
  FromPretrainedOptions,
  OutputType,
  PipelineOutput
} from './pipeline-types'
import { SD_TENSOR_INPUTS, sdFamilyHooks } from './sd-family-hooks'

/**
 * diffusers' `StableDiffusionPipeline` (SD 1.x / 2.x / SD-Turbo) over ONNX graphs.
 *
 * ```ts
 * const pipe = await StableDiffusionPipeline.fromPretrained(dir, { executionProviders: ['cpu'] })
 * const out = await pipe.call({ prompt: 'a red circle', generator: new Generator().manualSeed(42) })
 * ```
 *
 * Callback tensor names: `latents`, `prompt_embeds` (the CFG-concatenated `[uncond; cond]`
 * embeddings), `negative_prompt_embeds` (read-only in effect, as in diffusers).
 */
export class StableDiffusionPipeline extends DiffusionPipeline {
  readonly family = 'sd' as const
  readonly callbackTensorInputs: readonly string[] = SD_TENSOR_INPUTS
  protected readonly diffusersDefaultGuidance = 7.5

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
  }

  /**
   * diffusers' `from_pipe`: a text-to-image pipeline on another pipeline's components (its
   * sessions are shared, not loaded again) and scheduler.
   */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionPipeline {
    requireFamily(pipe, 'sd', 'StableDiffusionPipeline')
    return new StableDiffusionPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** Opens a model folder whose `model_index.json` names a Stable Diffusion 1.x/2.x pipeline. */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionPipeline> {
    return StableDiffusionPipeline.create(await openFolderFor('sd', modelDir), options)
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForText2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionPipeline> {
    const pipe = new StableDiffusionPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /** Generates images (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(asked: CallOptions<O>): Promise<PipelineOutput<O>> {
    const options = this.callOptions(asked)
    return this.generate(options, sdFamilyHooks(options, SD_TENSOR_INPUTS), asked)
  }
}
