import type { Tensor } from 'onnxruntime-node'
import { batchOf, repeatEachRow } from '../tensor/batch'
import { float32Data, floatTensor, formatDims, zerosLike } from '../tensor/float-tensor'
import { negativePromptMismatch } from './negative-prompt'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import { encodeTexts, type TextEncoderPair } from './text-encoding'

/** Inputs of {@link encodeSdxlPrompt}, mirroring diffusers' SDXL `encode_prompt`. */
export interface SdxlPromptArgs {
  /** `(tokenizer, text_encoder)` then `(tokenizer_2, text_encoder_2)`, or only the second. */
  pairs: TextEncoderPair[]
  prompt: string | string[] | null
  prompt2: string | string[] | null
  negativePrompt: string | string[] | null
  negativePrompt2: string | string[] | null
  promptEmbeds: Tensor | null
  negativePromptEmbeds: Tensor | null
  pooledPromptEmbeds: Tensor | null
  negativePooledPromptEmbeds: Tensor | null
  numImagesPerPrompt: number
  doClassifierFreeGuidance: boolean
  clipSkip: number | null
  forceZerosForEmptyPrompt: boolean
  /** Prompt text cleaning for this encoding; default the tokenizers'. */
  textFixing?: PromptTextFixing
}

/** SDXL conditioning, B = prompts × images rows each. */
export interface SdxlPromptEmbeddings {
  promptEmbeds: Tensor
  negativePromptEmbeds: Tensor | null
  pooledPromptEmbeds: Tensor
  negativePooledPromptEmbeds: Tensor | null
  warnings: string[]
}

/** Concatenates `[B, S, D_i]` tensors along the feature axis (torch.concat(dim=-1)). */
function concatFeatures(parts: readonly Tensor[]): Tensor {
  const first = parts[0] as Tensor
  const [b, s] = first.dims as [number, number, number]
  for (const p of parts) {
    if (p.dims[0] !== b || p.dims[1] !== s) {
      throw new Error(
        `cannot concatenate text-encoder states ${formatDims(first.dims)} and ${formatDims(p.dims)}`
      )
    }
  }
  const widths = parts.map((p) => p.dims[2] as number)
  const total = widths.reduce((a, w) => a + w, 0)
  const out = new Float32Array(b * s * total)
  for (let row = 0; row < b * s; row++) {
    let offset = row * total
    parts.forEach((p, k) => {
      const w = widths[k] as number
      out.set(float32Data(p).subarray(row * w, (row + 1) * w), offset)
      offset += w
    })
  }
  return floatTensor(out, [b, s, total])
}

/**
 * Runs each encoder on its texts and returns the concatenated per-token states (hidden state
 * −(clipSkip + 2), i.e. the penultimate layer by default) and the pooled embedding: by diffusers'
 * rule the first 2-D first output among the encoders (`text_embeds` of text_encoder_2).
 */
async function encodeBranch(
  pairs: TextEncoderPair[],
  texts: string[][],
  clipSkip: number | null,
  maxLength: number | null,
  textFixing: PromptTextFixing | undefined
): Promise<{ states: Tensor; pooled: Tensor | null; warnings: string[] }> {
  const states: Tensor[] = []
  let pooled: Tensor | null = null
  const warnings: string[] = []
  for (const [k, pair] of pairs.entries()) {
    const hidden = pair.io.hiddenStates
    const layer = hidden[hidden.length - ((clipSkip ?? 0) + 2)]
    if (layer === undefined) {
      throw new Error(
        `clipSkip ${String(clipSkip)} reaches past the first layer of ${pair.model.label} (it has ${hidden.length} hidden states)`
      )
    }
    const outputNames =
      pooled === null && pair.io.pooled !== null ? [layer, pair.io.pooled] : [layer]
    const encoded = await encodeTexts(
      pair,
      texts[k] as string[],
      outputNames,
      maxLength ?? undefined,
      textFixing
    )
    warnings.push(...encoded.warnings)
    if (pooled === null && pair.io.pooled !== null)
      pooled = encoded.outputs[pair.io.pooled] as Tensor
    states.push(encoded.outputs[layer] as Tensor)
  }
  return {
    states: states.length === 1 ? (states[0] as Tensor) : concatFeatures(states),
    pooled,
    warnings
  }
}

const asList = (p: string | string[]): string[] => (typeof p === 'string' ? [p] : p)

/**
 * SDXL prompt encoding (diffusers' `StableDiffusionXLPipeline.encode_prompt`): both encoders,
 * penultimate hidden states concatenated, pooled `text_embeds`; the negative branch is zeros when
 * no negative prompt is given and the model sets `force_zeros_for_empty_prompt`, otherwise the
 * encoded negative prompt (`""` by default); rows repeated per prompt for `numImagesPerPrompt`.
 */
export async function encodeSdxlPrompt(args: SdxlPromptArgs): Promise<SdxlPromptEmbeddings> {
  const { pairs, numImagesPerPrompt, doClassifierFreeGuidance: cfg } = args
  const prompt = args.prompt === null ? null : asList(args.prompt)
  const warnings: string[] = []
  let promptEmbeds = args.promptEmbeds
  let pooled = args.pooledPromptEmbeds
  if (promptEmbeds === null) {
    const prompt2 = asList(
      args.prompt2 !== null && args.prompt2 !== '' ? args.prompt2 : (prompt ?? [])
    )
    const texts = pairs.length === 2 ? [prompt ?? [], prompt2] : [prompt2]
    const branch = await encodeBranch(pairs, texts, args.clipSkip, null, args.textFixing)
    warnings.push(...branch.warnings)
    promptEmbeds = branch.states
    pooled = branch.pooled
  }
  if (pooled === null) {
    throw new Error(
      'none of the text encoders returned a pooled embedding (a 2-D first output or "text_embeds"), which SDXL needs'
    )
  }
  const batchSize = prompt !== null ? prompt.length : batchOf(promptEmbeds)

  let negativeEmbeds = args.negativePromptEmbeds
  let negativePooled = args.negativePooledPromptEmbeds
  const zeroOut = args.negativePrompt === null && args.forceZerosForEmptyPrompt
  if (cfg && negativeEmbeds === null && zeroOut) {
    negativeEmbeds = zerosLike(promptEmbeds)
    negativePooled = zerosLike(pooled)
  } else if (cfg && negativeEmbeds === null) {
    const neg =
      args.negativePrompt === null || args.negativePrompt === '' ? '' : args.negativePrompt
    const neg2Raw =
      args.negativePrompt2 === null || args.negativePrompt2 === '' ? neg : args.negativePrompt2
    const negList = typeof neg === 'string' ? Array.from({ length: batchSize }, () => neg) : neg
    const neg2List =
      typeof neg2Raw === 'string' ? Array.from({ length: batchSize }, () => neg2Raw) : neg2Raw
    const mismatch = negativePromptMismatch(prompt, negList, batchSize)
    if (mismatch !== null) throw mismatch
    const texts = pairs.length === 2 ? [negList, neg2List] : [neg2List]
    // Negatives always use the penultimate layer (diffusers ignores clip_skip for them).
    const branch = await encodeBranch(
      pairs,
      texts,
      null,
      promptEmbeds.dims[1] ?? null,
      args.textFixing
    )
    negativeEmbeds = branch.states
    negativePooled = branch.pooled
  }

  const out: SdxlPromptEmbeddings = {
    promptEmbeds: repeatEachRow(promptEmbeds, numImagesPerPrompt),
    pooledPromptEmbeds: repeatEachRow(pooled, numImagesPerPrompt),
    negativePromptEmbeds: null,
    negativePooledPromptEmbeds: null,
    warnings
  }
  if (cfg) {
    if (negativeEmbeds === null || negativePooled === null) {
      throw new Error(
        'the negative branch has no pooled embedding; pass negativePooledPromptEmbeds'
      )
    }
    out.negativePromptEmbeds = repeatEachRow(negativeEmbeds, numImagesPerPrompt)
    out.negativePooledPromptEmbeds = repeatEachRow(negativePooled, numImagesPerPrompt)
  }
  return out
}
