import { kindOf } from './describe-value'

/**
 * diffusers' `encode_prompt` checks of a negative prompt against the prompt, in the library's
 * names: the same kind (a string for a string, a list for a list) and, for a list, one negative
 * prompt per prompt. Returns the error to throw, or null.
 */
export function negativePromptMismatch(
  prompt: string | string[] | null,
  negativePrompt: string | string[],
  batchSize: number
): Error | null {
  if (prompt !== null && typeof prompt !== typeof negativePrompt) {
    return new TypeError(
      `negativePrompt must be the same kind as prompt (a string for a string, a list for a list), but prompt is ${kindOf(prompt)} and negativePrompt is ${kindOf(negativePrompt)}`
    )
  }
  if (Array.isArray(negativePrompt) && negativePrompt.length !== batchSize) {
    return new Error(
      `negativePrompt has ${negativePrompt.length} prompt${negativePrompt.length === 1 ? '' : 's'} but there ${batchSize === 1 ? 'is 1 prompt' : `are ${batchSize} prompts`}; give one negative prompt per prompt`
    )
  }
  return null
}
