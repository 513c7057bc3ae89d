import type { Tensor } from 'onnxruntime-node'
import type { SDTensorInput } from '../callbacks/callback-types'
import { concatBatch } from '../tensor/batch'
import { checkInputs, tensorOption } from './check-inputs'
import type { FamilyHooks } from './family-hooks'
import type { LoopTensors } from './denoising-loop'
import type { CallOptions } from './pipeline-types'
import { encodeSdPrompt } from './sd-prompt-encoder'

/** diffusers' `_callback_tensor_inputs` of the SD text-to-image and image-to-image pipelines. */
export const SD_TENSOR_INPUTS: readonly SDTensorInput[] = [
  'latents',
  'prompt_embeds',
  'negative_prompt_embeds'
]

/** The inpainting pipeline's: also the mask and the masked image's latents. */
export const SD_INPAINT_TENSOR_INPUTS: readonly string[] = [
  ...SD_TENSOR_INPUTS,
  'mask',
  'masked_image_latents'
]

/** The refusal of `clipSkip`, naming the pipeline class. */
export function clipSkipUnsupported(pipelineClass: string): string {
  return `clipSkip is not supported by ${pipelineClass} with ONNX text encoders (it needs the encoder’s final layer norm, which exports do not expose)`
}

/** The call options the SD hooks read. */
export type SdHookOptions = Pick<
  CallOptions,
  'prompt' | 'negativePrompt' | 'promptEmbeds' | 'negativePromptEmbeds' | 'clipSkip'
>

/**
 * The Stable Diffusion 1.x/2.x parts of a call (input checks, prompt encoding, the UNet's
 * conditioning), shared by the text-to-image, image-to-image and inpainting pipelines.
 */
export function sdFamilyHooks(
  options: SdHookOptions,
  allowedTensorInputs: readonly string[],
  pipelineClass: string
): FamilyHooks {
  const prompt = options.prompt ?? null
  const negativePrompt = options.negativePrompt ?? null
  const promptEmbeds = tensorOption(options.promptEmbeds, 'promptEmbeds')
  const negativePromptEmbeds = tensorOption(options.negativePromptEmbeds, 'negativePromptEmbeds')
  const hooks: FamilyHooks = {
    checkInputs: ({ height, width, tensorInputs, promptsFromSnapshot, sizeMultiple }) => {
      checkInputs({
        height,
        width,
        sizeMultiple,
        prompt,
        negativePrompt,
        promptEmbeds,
        negativePromptEmbeds,
        callbackOnStepEndTensorInputs: tensorInputs,
        allowedTensorInputs,
        pipelineClass,
        sdxl: false,
        promptsFromSnapshot
      })
      if (options.clipSkip !== undefined && options.clipSkip !== null) {
        // diffusers applies the encoder's final LayerNorm to an earlier hidden state; ONNX
        // text-encoder exports do not expose that layer, so it cannot be reproduced.
        throw new Error(clipSkipUnsupported(pipelineClass))
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
        doClassifierFreeGuidance: args.doClassifierFreeGuidance,
        textFixing: args.textFixing
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
  return hooks
}
