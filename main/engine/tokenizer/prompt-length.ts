import path from 'node:path'
import { openModelFolder } from '../models/model-folder'
import { ClipTokenizer } from './clip-tokenizer'

/** How long a text is in a model's tokens, and how much of it the text encoder reads. */
export interface PromptLength {
  /** Tokens of the text, the start and end tokens included. */
  tokens: number
  /** `model_max_length`: what the text encoder reads (77 for CLIP); later tokens are dropped. */
  limit: number
}

/**
 * The tokenizer of a model's first text encoder, as its pipeline loads it (SDXL's second
 * tokenizer cuts at the same length).
 */
export async function loadPromptTokenizer(modelDir: string): Promise<ClipTokenizer> {
  const folder = await openModelFolder(modelDir)
  const tokenizer = folder.tokenizers[0] ?? 'tokenizer'
  const encoder = folder.textEncoders[0] as 'text_encoder' | 'text_encoder_2' | undefined
  const positions =
    (encoder === undefined
      ? undefined
      : folder.textEncoderConfigs[encoder]?.maxPositionEmbeddings) ?? 77
  return ClipTokenizer.fromFolder(path.join(modelDir, tokenizer), positions)
}

/** The length of `text` for `tokenizer`. */
export function promptLength(tokenizer: ClipTokenizer, text: string): PromptLength {
  return { tokens: tokenizer.encodeUntruncated(text).length, limit: tokenizer.modelMaxLength }
}

/**
 * A short notice for a text longer than the encoder reads, naming which text (`what`: "The
 * prompt", "The negative prompt") and how much is lost; null when it fits. Counts only: quoting
 * the dropped text can run to thousands of characters, and a slice of byte-level tokens can end
 * inside a character.
 */
export function truncationNotice(what: string, length: PromptLength): string | null {
  if (length.tokens <= length.limit) return null
  const ignored = length.tokens - length.limit
  return `${what} is ${length.tokens} tokens long; the model reads ${length.limit}, so the last ${ignored} ${ignored === 1 ? 'is' : 'are'} ignored.`
}

/** Whether a warning is the engine's diffusers-worded truncation warning (which quotes the text). */
export function isTruncationWarning(message: string): boolean {
  return message.startsWith('The following part of your input was truncated')
}
