import type { Tensor } from 'onnxruntime-node'
import { batchOf, repeatEachRow } from '../tensor/batch'
import { negativePromptMismatch } from './negative-prompt'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import { encodeTexts, type TextEncoderPair } from './text-encoding'

/** Inputs of {@link encodeSdPrompt}, mirroring diffusers' `encode_prompt`. */
export interface SdPromptArgs {
  pair: TextEncoderPair
  /** The prompt as given (string or list), or null when `promptEmbeds` is given. */
  prompt: string | string[] | null
  negativePrompt: string | string[] | null
  promptEmbeds: Tensor | null
  negativePromptEmbeds: Tensor | null
  numImagesPerPrompt: number
  doClassifierFreeGuidance: boolean
  /** Prompt text cleaning for this encoding; default the tokenizer's. */
  textFixing?: PromptTextFixing
}

/** Encoded conditioning: B = prompts × images rows each. */
export interface SdPromptEmbeddings {
  promptEmbeds: Tensor
  /** Null when CFG is off (no unconditional branch). */
  negativePromptEmbeds: Tensor | null
  warnings: string[]
}

/**
 * Stable Diffusion 1.x/2.x prompt encoding (diffusers' `StableDiffusionPipeline.encode_prompt`):
 * `last_hidden_state` of the text encoder for the prompts and, with CFG, for the negative prompts
 * (`""` per prompt when none), each repeated `numImagesPerPrompt` times per prompt.
 */
export async function encodeSdPrompt(args: SdPromptArgs): Promise<SdPromptEmbeddings> {
  const { pair, prompt, negativePrompt, numImagesPerPrompt } = args
  const warnings: string[] = []
  const output = pair.io.lastHiddenState as string
  let promptEmbeds = args.promptEmbeds
  if (promptEmbeds === null) {
    const texts = typeof prompt === 'string' ? [prompt] : (prompt ?? [])
    const encoded = await encodeTexts(pair, texts, [output], undefined, args.textFixing)
    warnings.push(...encoded.warnings)
    promptEmbeds = encoded.outputs[output] as Tensor
  }
  const batchSize =
    prompt === null ? batchOf(promptEmbeds) : typeof prompt === 'string' ? 1 : prompt.length
  promptEmbeds = repeatEachRow(promptEmbeds, numImagesPerPrompt)

  let negativePromptEmbeds = args.negativePromptEmbeds
  if (args.doClassifierFreeGuidance && negativePromptEmbeds === null) {
    let uncond: string[]
    if (negativePrompt === null) {
      uncond = Array.from({ length: batchSize }, () => '')
    } else {
      const mismatch = negativePromptMismatch(prompt, negativePrompt, batchSize)
      if (mismatch !== null) throw mismatch
      uncond = typeof negativePrompt === 'string' ? [negativePrompt] : negativePrompt
    }
    // Negatives are padded to the positive sequence length, as diffusers does.
    const maxLength = promptEmbeds.dims[1] ?? pair.tokenizer.modelMaxLength
    const encoded = await encodeTexts(pair, uncond, [output], maxLength, args.textFixing)
    negativePromptEmbeds = encoded.outputs[output] as Tensor
  }
  if (args.doClassifierFreeGuidance && negativePromptEmbeds !== null) {
    negativePromptEmbeds = repeatEachRow(negativePromptEmbeds, numImagesPerPrompt)
  }
  return {
    promptEmbeds,
    negativePromptEmbeds: args.doClassifierFreeGuidance ? negativePromptEmbeds : null,
    warnings
  }
}
