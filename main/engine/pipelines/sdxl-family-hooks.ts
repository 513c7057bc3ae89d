import type { Tensor } from 'onnxruntime-node'
import type { SDXLTensorInput } from '../callbacks/callback-types'
import { roundHalfEven } from '../previews/latents-to-rgb'
import { batchOf, concatBatch } from '../tensor/batch'
import { checkInputs, tensorOption } from './check-inputs'
import type { LoopTensors } from './denoising-loop'
import type { DiffusionPipeline } from './diffusion-pipeline'
import type { FamilyHooks } from './family-hooks'
import type { SDXLCallOptions } from './pipeline-types'
import { encodeSdxlPrompt } from './sdxl-prompt-encoder'
import {
  buildAddTimeIds,
  checkAddEmbedDim,
  imageTimeIds,
  textToImageTimeIds,
  type ImageTimeIdOptions
} from './sdxl-time-ids'

/** diffusers' `_callback_tensor_inputs` of the SDXL text-to-image and image-to-image pipelines. */
export const SDXL_TENSOR_INPUTS: readonly SDXLTensorInput[] = [
  'latents',
  'prompt_embeds',
  'add_text_embeds',
  'add_time_ids'
]

/** The SDXL inpainting pipeline's: also the mask and the masked image's latents. */
export const SDXL_INPAINT_TENSOR_INPUTS: readonly string[] = [
  ...SDXL_TENSOR_INPUTS,
  'mask',
  'masked_image_latents'
]

/** What the SDXL image pipelines add to the micro-conditioning. */
export interface SdxlImageConditioning {
  /** model_index.json's `requires_aesthetics_score` (SDXL refiners). */
  requiresAestheticsScore: boolean
}

/** The call options the SDXL hooks read (all but the callback, whose types vary by pipeline). */
export type SdxlHookOptions = Omit<SDXLCallOptions, 'callbackOnStepEnd'>

/**
 * The SDXL parts of a call (input checks, both text encoders, pooled embeddings, micro-conditioning
 * `time_ids`, `denoisingEnd`), shared by the text-to-image, image-to-image and inpainting pipelines.
 * `image` is null for text-to-image; the image pipelines build `time_ids` their way (aesthetic
 * scores for refiners, negative sizes defaulting to the positive ones).
 */
export function sdxlFamilyHooks(
  pipe: DiffusionPipeline,
  options: SdxlHookOptions & ImageTimeIdOptions,
  allowedTensorInputs: readonly string[],
  pipelineClass: string,
  image: SdxlImageConditioning | null
): FamilyHooks {
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
    checkInputs: ({ height, width, tensorInputs, promptsFromSnapshot, sizeMultiple }) =>
      checkInputs({
        height,
        width,
        sizeMultiple,
        prompt,
        prompt2,
        negativePrompt,
        negativePrompt2,
        promptEmbeds,
        negativePromptEmbeds,
        pooledPromptEmbeds,
        negativePooledPromptEmbeds,
        callbackOnStepEndTensorInputs: tensorInputs,
        allowedTensorInputs,
        pipelineClass,
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
        clipSkip: pipe._clipSkip,
        forceZerosForEmptyPrompt: pipe.folder.index.forceZerosForEmptyPrompt,
        textFixing: args.textFixing
      })
      const pooled = encoded.pooledPromptEmbeds
      const size: [number, number] = [args.height, args.width]
      const { positive, negative } =
        image === null
          ? textToImageTimeIds(options, size)
          : imageTimeIds(options, size, image.requiresAestheticsScore)
      checkAddEmbedDim(pipe.folder, models.unet, pooled.dims[1] as number, positive.length, image)
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
      if (typeof end !== 'number' || !(end > 0 && end < 1)) return { timesteps, numInferenceSteps }
      const train = Number(pipe.scheduler.config.num_train_timesteps)
      const cutoff = roundHalfEven(train - end * train)
      const kept = timesteps.filter((t) => t >= cutoff).length
      return { timesteps: timesteps.slice(0, kept), numInferenceSteps: kept }
    },
    beforeLoop: () => pipe.scheduler.setBeginIndex(0)
  }
  return hooks
}
