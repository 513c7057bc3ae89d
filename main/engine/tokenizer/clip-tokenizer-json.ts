/**
 * Builds the `tokenizer.json` object of a CLIP tokenizer (the format `CLIPTokenizerFast` saves)
 * from the slow tokenizer's files — `vocab.json`, `merges.txt` and the special tokens — because
 * many Stable Diffusion exports ship only those. The pipeline it describes is CLIP's: NFC,
 * whitespace runs collapsed to one space, lower-casing, CLIP's split pattern, byte-level
 * alphabet, BPE with a `</w>` end-of-word suffix, then BOS … EOS around the text.
 */

/** CLIP's pre-tokenization pattern (special tokens, contractions, letter runs, single digits, other runs). */
const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"

/** A special token and its id. */
export interface SpecialToken {
  content: string
  id: number
}

/** Inputs of {@link buildClipTokenizerJson}. */
export interface ClipTokenizerParts {
  vocab: Record<string, number>
  /** Merge rules, `"a b"` each, in priority order (the `#version` header already removed). */
  merges: string[]
  bos: SpecialToken
  eos: SpecialToken
  unkToken: string
  /** Every token the tokenizer treats as added/special (BOS, EOS, PAD, UNK, …), deduplicated. */
  addedTokens: SpecialToken[]
  lowercase: boolean
}

/** Parses `merges.txt`: one `left right` pair per line after an optional `#version` header. */
export function parseMerges(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line, i) => line.trim() !== '' && !(i === 0 && line.startsWith('#version')))
}

/** The tokenizer.json object for {@link ClipTokenizerParts}. */
export function buildClipTokenizerJson(parts: ClipTokenizerParts): Record<string, unknown> {
  const normalizers: Record<string, unknown>[] = [
    { type: 'NFC' },
    { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }
  ]
  if (parts.lowercase) normalizers.push({ type: 'Lowercase' })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: parts.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true
    })),
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: CLIP_SPLIT_PATTERN },
          behavior: 'Removed',
          invert: true
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
      ]
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [parts.eos.content, parts.eos.id],
      cls: [parts.bos.content, parts.bos.id],
      trim_offsets: false,
      add_prefix_space: false
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: parts.unkToken,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: parts.vocab,
      merges: parts.merges
    }
  }
}
