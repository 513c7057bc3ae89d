import type { Tensor } from 'onnxruntime-node'
import { sizeMultipleError } from '../../../shared/size-multiple'
import { formatDims, isTensor, sameDims } from '../tensor/float-tensor'
import { kindOf, listNames, showValue } from './describe-value'

/** What {@link checkInputs} validates; SDXL-only fields are undefined for SD. */
export interface CheckInputsArgs {
  height: number
  width: number
  /** The model's size multiple (`ModelFolder.sizeMultiple`). */
  sizeMultiple: number
  prompt: unknown
  prompt2?: unknown
  negativePrompt: unknown
  negativePrompt2?: unknown
  promptEmbeds: Tensor | null
  negativePromptEmbeds: Tensor | null
  pooledPromptEmbeds?: Tensor | null
  negativePooledPromptEmbeds?: Tensor | null
  callbackOnStepEndTensorInputs: readonly string[] | null
  /** The pipeline's `callbackTensorInputs` (diffusers' `_callback_tensor_inputs`). */
  allowedTensorInputs: readonly string[]
  /** The pipeline class, named in the tensor-input message. */
  pipelineClass: string
  sdxl: boolean
  /** A continued run that keeps its snapshot's conditioning needs no prompt. */
  promptsFromSnapshot?: boolean
}

const embedsRepr = (t: Tensor): string => `a Tensor of shape ${formatDims(t.dims)}`
const present = (v: unknown): boolean => v !== null && v !== undefined

/**
 * diffusers' `check_inputs`, in diffusers' order but in the library's own names (the camelCase
 * options a caller passes), run before any model: the size (a multiple of the model's size
 * multiple, which diffusers' "divisible by 8" does not catch for ONNX UNets), callback tensor
 * names allowed for this pipeline, prompt xor embeddings, prompt types, negative prompt xor
 * negative embeddings, matching embedding shapes, and (SDXL) pooled embeddings accompanying
 * embeddings.
 */
export function checkInputs(a: CheckInputsArgs): void {
  const size = sizeMultipleError({ width: a.width, height: a.height }, a.sizeMultiple)
  if (size !== null) throw new Error(size)
  const names = a.callbackOnStepEndTensorInputs
  const unknown = names?.filter((k) => !a.allowedTensorInputs.includes(k)) ?? []
  if (unknown.length > 0) {
    throw new Error(
      `callbackOnStepEndTensorInputs may only name ${listNames(a.allowedTensorInputs)} for ${a.pipelineClass}, but it has ${listNames(unknown.map(showValue))}`
    )
  }
  const both = (name: string, value: unknown, embeds: string, tensor: Tensor): Error =>
    new Error(
      `pass either ${name} or ${embeds}, not both (got ${name} ${showValue(value)} and ${embeds} ${embedsRepr(tensor)})`
    )
  if (present(a.prompt) && a.promptEmbeds !== null) {
    throw both('prompt', a.prompt, 'promptEmbeds', a.promptEmbeds)
  } else if (a.sdxl && present(a.prompt2) && a.promptEmbeds !== null) {
    throw both('prompt2', a.prompt2, 'promptEmbeds', a.promptEmbeds)
  } else if (!present(a.prompt) && a.promptEmbeds === null && a.promptsFromSnapshot !== true) {
    throw new Error('pass a prompt or promptEmbeds (neither was given)')
  }
  if (present(a.negativePrompt) && a.negativePromptEmbeds !== null) {
    throw both('negativePrompt', a.negativePrompt, 'negativePromptEmbeds', a.negativePromptEmbeds)
  } else if (a.sdxl && present(a.negativePrompt2) && a.negativePromptEmbeds !== null) {
    throw both('negativePrompt2', a.negativePrompt2, 'negativePromptEmbeds', a.negativePromptEmbeds)
  }
  if (a.promptEmbeds !== null && a.negativePromptEmbeds !== null) {
    if (!sameDims(a.promptEmbeds.dims, a.negativePromptEmbeds.dims)) {
      throw new Error(
        `promptEmbeds and negativePromptEmbeds must have the same shape, but promptEmbeds is ${formatDims(a.promptEmbeds.dims)} and negativePromptEmbeds is ${formatDims(a.negativePromptEmbeds.dims)}`
      )
    }
  }
  if (a.sdxl && a.promptEmbeds !== null && !present(a.pooledPromptEmbeds)) {
    throw new Error(
      'promptEmbeds needs pooledPromptEmbeds too, from the same text encoder (encodePrompt returns both)'
    )
  }
  if (a.sdxl && a.negativePromptEmbeds !== null && !present(a.negativePooledPromptEmbeds)) {
    throw new Error(
      'negativePromptEmbeds needs negativePooledPromptEmbeds too, from the same text encoder (encodePrompt returns both)'
    )
  }
  // TypeScript callers can pass anything: a list must hold only strings.
  for (const [name, value] of [
    ['prompt', a.prompt],
    ['prompt2', a.prompt2],
    ['negativePrompt', a.negativePrompt],
    ['negativePrompt2', a.negativePrompt2]
  ] as const) {
    checkPromptValue(name, value)
  }
}

/** Throws unless `value` is absent, a string or a non-empty list of strings. */
export function checkPromptValue(name: string, value: unknown): void {
  if (!present(value)) return
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Error(`${name} is an empty list; give at least one prompt`)
    const bad = value.findIndex((x) => typeof x !== 'string')
    if (bad >= 0) {
      throw new Error(
        `${name} must be a string or a list of strings, but ${name}[${bad}] is ${describeKind(value[bad])}`
      )
    }
  } else if (typeof value !== 'string') {
    throw new Error(`${name} must be a string or a list of strings, but is ${describeKind(value)}`)
  }
}

/** "a number (42)", "a list ([1, 2])", "an object": the kind, and the value where it is short. */
export function describeKind(value: unknown): string {
  const kind = kindOf(value)
  const plain = value === null || value === undefined || typeof value === 'function'
  if (plain || isTensor(value) || (typeof value === 'object' && !Array.isArray(value))) return kind
  return `${kind} (${showValue(value)})`
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
    throw new Error(`${name} must be ${what}, but is ${showValue(value)}`)
  }
}

/** The tensor option's value, or null when it is not set. */
export function tensorOption(value: unknown, name: string): Tensor | null {
  if (value === null || value === undefined) return null
  if (!isTensor(value)) {
    throw new Error(`${name} must be an onnxruntime Tensor, but is ${describeKind(value)}`)
  }
  return value
}
