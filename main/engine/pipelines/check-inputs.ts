import type { Tensor } from 'onnxruntime-node'
import { formatDims, isTensor, sameDims } from '../tensor/float-tensor'
import { pyRepr, pyType } from './python-repr'

/** What {@link checkInputs} validates; SDXL-only fields are undefined for SD. */
export interface CheckInputsArgs {
  height: number
  width: number
  prompt: unknown
  prompt2?: unknown
  negativePrompt: unknown
  negativePrompt2?: unknown
  promptEmbeds: Tensor | null
  negativePromptEmbeds: Tensor | null
  pooledPromptEmbeds?: Tensor | null
  negativePooledPromptEmbeds?: Tensor | null
  callbackOnStepEndTensorInputs: readonly string[] | null
  /** The pipeline's `_callback_tensor_inputs`. */
  allowedTensorInputs: readonly string[]
  sdxl: boolean
  /** A continued run that keeps its snapshot's conditioning needs no prompt. */
  promptsFromSnapshot?: boolean
}

const embedsRepr = (t: Tensor): string => `Tensor of shape ${formatDims(t.dims)}`
const present = (v: unknown): boolean => v !== null && v !== undefined

/**
 * diffusers' `check_inputs`, in diffusers' order and with its messages, run before any model:
 * size divisible by 8, callback tensor names allowed for this pipeline, prompt xor embeddings,
 * prompt types, negative prompt xor negative embeddings, matching embedding shapes, and (SDXL)
 * pooled embeddings accompanying embeddings.
 */
export function checkInputs(a: CheckInputsArgs): void {
  if (a.height % 8 !== 0 || a.width % 8 !== 0) {
    throw new Error(
      `\`height\` and \`width\` have to be divisible by 8 but are ${a.height} and ${a.width}.`
    )
  }
  const names = a.callbackOnStepEndTensorInputs
  if (names !== null && !names.every((k) => a.allowedTensorInputs.includes(k))) {
    throw new Error(
      `\`callback_on_step_end_tensor_inputs\` has to be in ${pyRepr(a.allowedTensorInputs)}, but found ${pyRepr(names.filter((k) => !a.allowedTensorInputs.includes(k)))}`
    )
  }
  if (present(a.prompt) && a.promptEmbeds !== null) {
    throw new Error(
      `Cannot forward both \`prompt\`: ${pyRepr(a.prompt)} and \`prompt_embeds\`: ${embedsRepr(a.promptEmbeds)}. Please make sure to only forward one of the two.`
    )
  } else if (a.sdxl && present(a.prompt2) && a.promptEmbeds !== null) {
    throw new Error(
      `Cannot forward both \`prompt_2\`: ${pyRepr(a.prompt2)} and \`prompt_embeds\`: ${embedsRepr(a.promptEmbeds)}. Please make sure to only forward one of the two.`
    )
  } else if (!present(a.prompt) && a.promptEmbeds === null && a.promptsFromSnapshot !== true) {
    throw new Error(
      'Provide either `prompt` or `prompt_embeds`. Cannot leave both `prompt` and `prompt_embeds` undefined.'
    )
  } else if (present(a.prompt) && !isPromptValue(a.prompt)) {
    throw new Error(`\`prompt\` has to be of type \`str\` or \`list\` but is ${pyType(a.prompt)}`)
  } else if (a.sdxl && present(a.prompt2) && !isPromptValue(a.prompt2)) {
    throw new Error(
      `\`prompt_2\` has to be of type \`str\` or \`list\` but is ${pyType(a.prompt2)}`
    )
  }
  if (present(a.negativePrompt) && a.negativePromptEmbeds !== null) {
    throw new Error(
      `Cannot forward both \`negative_prompt\`: ${pyRepr(a.negativePrompt)} and \`negative_prompt_embeds\`: ${embedsRepr(a.negativePromptEmbeds)}. Please make sure to only forward one of the two.`
    )
  } else if (a.sdxl && present(a.negativePrompt2) && a.negativePromptEmbeds !== null) {
    throw new Error(
      `Cannot forward both \`negative_prompt_2\`: ${pyRepr(a.negativePrompt2)} and \`negative_prompt_embeds\`: ${embedsRepr(a.negativePromptEmbeds)}. Please make sure to only forward one of the two.`
    )
  }
  if (a.promptEmbeds !== null && a.negativePromptEmbeds !== null) {
    if (!sameDims(a.promptEmbeds.dims, a.negativePromptEmbeds.dims)) {
      throw new Error(
        `\`prompt_embeds\` and \`negative_prompt_embeds\` must have the same shape when passed directly, but got: \`prompt_embeds\` ${formatDims(a.promptEmbeds.dims)} != \`negative_prompt_embeds\` ${formatDims(a.negativePromptEmbeds.dims)}.`
      )
    }
  }
  if (a.sdxl && a.promptEmbeds !== null && !present(a.pooledPromptEmbeds)) {
    throw new Error(
      'If `prompt_embeds` are provided, `pooled_prompt_embeds` also have to be passed. Make sure to generate `pooled_prompt_embeds` from the same text encoder that was used to generate `prompt_embeds`.'
    )
  }
  if (a.sdxl && a.negativePromptEmbeds !== null && !present(a.negativePooledPromptEmbeds)) {
    throw new Error(
      'If `negative_prompt_embeds` are provided, `negative_pooled_prompt_embeds` also have to be passed. Make sure to generate `negative_pooled_prompt_embeds` from the same text encoder that was used to generate `negative_prompt_embeds`.'
    )
  }
  // TypeScript callers can pass anything: a list must hold only strings.
  for (const [name, value] of [
    ['prompt', a.prompt],
    ['prompt_2', a.prompt2],
    ['negative_prompt', a.negativePrompt],
    ['negative_prompt_2', a.negativePrompt2]
  ] as const) {
    if (present(value) && !isPromptValue(value)) {
      throw new Error(`\`${name}\` has to be of type \`str\` or \`list\` but is ${pyType(value)}`)
    }
    if (Array.isArray(value) && value.length === 0) {
      throw new Error(`\`${name}\` is an empty list; give at least one prompt`)
    }
  }
}

/** A string or a list of strings. */
export function isPromptValue(v: unknown): v is string | string[] {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
}

/** Stepwise's own checks of numeric call options (diffusers leaves them to fail later). */
export function checkNumber(
  name: string,
  value: number,
  rule: 'positive-integer' | 'non-negative-integer' | 'finite'
): void {
  const ok =
    typeof value === 'number' &&
    (rule === 'finite'
      ? Number.isFinite(value)
      : Number.isInteger(value) && (rule === 'positive-integer' ? value > 0 : value >= 0))
  if (!ok) {
    const what =
      rule === 'finite'
        ? 'a finite number'
        : rule === 'positive-integer'
          ? 'a positive integer'
          : 'a non-negative integer'
    throw new Error(`${name} must be ${what}, but is ${pyRepr(value)}`)
  }
}

/** True for a tensor option that is set. */
export function tensorOption(value: unknown, name: string): Tensor | null {
  if (value === null || value === undefined) return null
  if (!isTensor(value)) throw new Error(`${name} must be an onnxruntime Tensor`)
  return value
}
