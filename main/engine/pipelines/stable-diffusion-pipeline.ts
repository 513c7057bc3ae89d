import type { Tensor } from 'onnxruntime-node'
import type { ModelFolder } from '../models/model-folder'
import { concatBatch } from '../tensor/batch'
import { checkInputs, tensorOption } from './check-inputs'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { FamilyHooks } from './family-hooks'
import type { LoopTensors } from './denoising-loop'
import { openFolderFor } from './pipeline-loading'
import type {
  CallOptions,
  FromPretrainedOptions,
  OutputType,
  PipelineOutput
} from './pipeline-types'
import { encodeSdPrompt } from './sd-prompt-encoder'

const SD_TENSOR_INPUTS = ['latents', 'prompt_embeds', 'negative_prompt_embeds'] as const

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

  protected constructor(folder: ModelFolder, options: FromPretrainedOptions) {
    super(folder, options)
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
    const prompt = options.prompt ?? null
    const negativePrompt = options.negativePrompt ?? null
    const promptEmbeds = tensorOption(options.promptEmbeds, 'promptEmbeds')
    const negativePromptEmbeds = tensorOption(options.negativePromptEmbeds, 'negativePromptEmbeds')
    const hooks: FamilyHooks = {
      checkInputs: ({ height, width, tensorInputs, promptsFromSnapshot }) => {
        checkInputs({
          height,
          width,
          prompt,
          negativePrompt,
          promptEmbeds,
          negativePromptEmbeds,
          callbackOnStepEndTensorInputs: tensorInputs,
          allowedTensorInputs: SD_TENSOR_INPUTS,
          sdxl: false,
          promptsFromSnapshot
        })
        if (options.clipSkip !== undefined && options.clipSkip !== null) {
          // diffusers applies the encoder's final LayerNorm to an earlier hidden state; ONNX
          // text-encoder exports do not expose that layer, so it cannot be reproduced.
          throw new Error(
            'clipSkip is not supported by StableDiffusionPipeline with ONNX text encoders (it needs the encoder’s final layer norm, which exports do not expose)'
          )
        }
      },
      encode: async (models, args) => {
        const encoded = await encodeSdPrompt({
          pair: models.encoders[0] as NonNullable<(typeof models.encoders)[0]>,
          prompt,
          negativePrompt,
          promptEmbeds,
          negativePromptEmbeds,
          numImagesPerPrompt: args.numImagesPerPrompt,
          doClassifierFreeGuidance: args.doClassifierFreeGuidance
        })
        // With CFG the UNet gets one batch: unconditional rows first, then conditional.
        const promptForUnet =
          args.doClassifierFreeGuidance && encoded.negativePromptEmbeds !== null
            ? concatBatch([encoded.negativePromptEmbeds, encoded.promptEmbeds])
            : encoded.promptEmbeds
        const tensors: LoopTensors = {
          prompt_embeds: promptForUnet,
          negative_prompt_embeds: encoded.negativePromptEmbeds
        }
        return { tensors, warnings: encoded.warnings }
      },
      unetConditioning: (tensors) => ({ encoder_hidden_states: tensors.prompt_embeds as Tensor })
    }
    return this.generate(options, hooks, asked)
  }
}
