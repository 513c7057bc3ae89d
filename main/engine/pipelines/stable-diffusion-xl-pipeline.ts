import type { Tensor } from 'onnxruntime-node'
import type { ModelFolder } from '../models/model-folder'
import { roundHalfEven } from '../previews/latents-to-rgb'
import { batchOf, concatBatch } from '../tensor/batch'
import { checkInputs, tensorOption } from './check-inputs'
import type { LoopTensors } from './denoising-loop'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { FamilyHooks } from './family-hooks'
import { openFolderFor } from './pipeline-loading'
import type {
  FromPretrainedOptions,
  OutputType,
  PipelineOutput,
  SDXLCallOptions
} from './pipeline-types'
import { encodeSdxlPrompt } from './sdxl-prompt-encoder'
import { buildAddTimeIds, checkAddEmbedDim, timeIdsRow } from './sdxl-time-ids'

const SDXL_TENSOR_INPUTS = ['latents', 'prompt_embeds', 'add_text_embeds', 'add_time_ids'] as const

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

  protected constructor(folder: ModelFolder, options: FromPretrainedOptions) {
    super(folder, options)
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
    const prompt = options.prompt ?? null
    const prompt2 = options.prompt2 ?? null
    const negativePrompt = options.negativePrompt ?? null
    const negativePrompt2 = options.negativePrompt2 ?? null
    const promptEmbeds = tensorOption(options.promptEmbeds, 'promptEmbeds')
    const negativePromptEmbeds = tensorOption(options.negativePromptEmbeds, 'negativePromptEmbeds')
    const pooledPromptEmbeds = tensorOption(options.pooledPromptEmbeds, 'pooledPromptEmbeds')
    const negativePooledPromptEmbeds = tensorOption(
      options.negativePooledPromptEmbeds,
      'negativePooledPromptEmbeds'
    )
    const hooks: FamilyHooks = {
      checkInputs: ({ height, width, tensorInputs, promptsFromSnapshot }) =>
        checkInputs({
          height,
          width,
          prompt,
          prompt2,
          negativePrompt,
          negativePrompt2,
          promptEmbeds,
          negativePromptEmbeds,
          pooledPromptEmbeds,
          negativePooledPromptEmbeds,
          callbackOnStepEndTensorInputs: tensorInputs,
          allowedTensorInputs: SDXL_TENSOR_INPUTS,
          sdxl: true,
          promptsFromSnapshot
        }),
      encode: async (models, args) => {
        const cfg = args.doClassifierFreeGuidance
        const encoded = await encodeSdxlPrompt({
          pairs: models.encoders,
          prompt,
          prompt2,
          negativePrompt,
          negativePrompt2,
          promptEmbeds,
          negativePromptEmbeds,
          pooledPromptEmbeds,
          negativePooledPromptEmbeds,
          numImagesPerPrompt: args.numImagesPerPrompt,
          doClassifierFreeGuidance: cfg,
          clipSkip: this._clipSkip,
          forceZerosForEmptyPrompt: this.folder.index.forceZerosForEmptyPrompt
        })
        const pooled = encoded.pooledPromptEmbeds
        checkAddEmbedDim(this.folder, models.unet, pooled.dims[1] as number)
        const size: [number, number] = [args.height, args.width]
        const positive = timeIdsRow({
          originalSize: options.originalSize ?? size,
          cropsCoordsTopLeft: options.cropsCoordsTopLeft ?? [0, 0],
          targetSize: options.targetSize ?? size
        })
        // As in diffusers, the negative row differs only when both negative sizes are given.
        const negative =
          options.negativeOriginalSize != null && options.negativeTargetSize != null
            ? timeIdsRow({
                originalSize: options.negativeOriginalSize,
                cropsCoordsTopLeft: options.negativeCropsCoordsTopLeft ?? [0, 0],
                targetSize: options.negativeTargetSize
              })
            : positive
        const batch = batchOf(encoded.promptEmbeds)
        const tensors: LoopTensors = {
          prompt_embeds: cfg
            ? concatBatch([encoded.negativePromptEmbeds as Tensor, encoded.promptEmbeds])
            : encoded.promptEmbeds,
          add_text_embeds: cfg
            ? concatBatch([encoded.negativePooledPromptEmbeds as Tensor, pooled])
            : pooled,
          add_time_ids: buildAddTimeIds(positive, negative, batch, cfg)
        }
        return { tensors, warnings: encoded.warnings }
      },
      unetConditioning: (tensors) => ({
        encoder_hidden_states: tensors.prompt_embeds as Tensor,
        text_embeds: tensors.add_text_embeds as Tensor,
        time_ids: tensors.add_time_ids as Tensor
      }),
      adjustTimesteps: (timesteps, numInferenceSteps) => {
        const end = options.denoisingEnd
        if (typeof end !== 'number' || !(end > 0 && end < 1))
          return { timesteps, numInferenceSteps }
        const train = Number(this.scheduler.config.num_train_timesteps)
        const cutoff = roundHalfEven(train - end * train)
        const kept = timesteps.filter((t) => t >= cutoff).length
        return { timesteps: timesteps.slice(0, kept), numInferenceSteps: kept }
      },
      beforeLoop: () => this.scheduler.setBeginIndex(0)
    }
    return this.generate(options, hooks, asked)
  }
}
