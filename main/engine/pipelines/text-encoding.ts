import { Tensor } from 'onnxruntime-node'
import type { OnnxModel } from '../models/onnx-model'
import type { TextEncoderIo } from '../models/text-encoder-io'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import { runBatched } from './batched-run'

/** One tokenizer + text-encoder pair, with the encoder's I/O worked out at load time. */
export interface TextEncoderPair {
  tokenizer: ClipTokenizer
  model: OnnxModel
  io: TextEncoderIo
}

/** Encoder outputs of one batch of texts, and the truncation warnings. */
export interface EncodedText {
  outputs: Record<string, Tensor>
  warnings: string[]
  ms: number
}

/**
 * Tokenizes `texts` (padded/truncated to `maxLength`) and runs the text encoder on them,
 * fetching `outputNames`. Ids are built as int32 and cast by the model wrapper to whatever the
 * graph declares (int32 in diffusers' legacy export, int64 in optimum's).
 */
export async function encodeTexts(
  pair: TextEncoderPair,
  texts: readonly string[],
  outputNames: readonly string[],
  maxLength: number = pair.tokenizer.modelMaxLength,
  textFixing: PromptTextFixing = pair.tokenizer.textFixing
): Promise<EncodedText> {
  const { ids, warnings } = pair.tokenizer.encodeBatch(texts, maxLength, textFixing)
  const flat = new Int32Array(ids.length * maxLength)
  ids.forEach((row, i) => flat.set(row, i * maxLength))
  const feeds: Record<string, Tensor> = {
    [pair.io.idsInput]: new Tensor('int32', flat, [ids.length, maxLength])
  }
  const batchInputs = [pair.io.idsInput]
  if (pair.io.attentionMaskInput !== null) {
    // diffusers passes no mask to CLIP, which equals a mask of ones.
    feeds[pair.io.attentionMaskInput] = new Tensor('int32', new Int32Array(flat.length).fill(1), [
      ids.length,
      maxLength
    ])
    batchInputs.push(pair.io.attentionMaskInput)
  }
  const result = await runBatched(pair.model, feeds, batchInputs, pair.io.fixedBatch, outputNames)
  return { outputs: result.outputs, warnings, ms: result.ms }
}
