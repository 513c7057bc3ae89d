import { fixText } from './fix-text'
import { htmlUnescape } from './html-unescape'

/**
 * How prompt text is cleaned before CLIP's BPE:
 * - `'ftfy'` (default): as diffusers' default tokenizer, transformers' `CLIPTokenizer`, does with
 *   ftfy installed (transformers 4.x): `whitespace_clean(ftfy.fix_text(text)).lower()` on the
 *   text between special tokens.
 * - `'clip'`: as OpenAI CLIP's own tokenizer, which prepared its training captions:
 *   `ftfy.fix_text`, then `html.unescape` twice, whitespace cleaned, lower-cased.
 * - `'none'`: as `CLIPTokenizerFast` (and transformers 5's `CLIPTokenizer`): NFC, whitespace runs
 *   to one space and lower-casing only, done by the tokenizer itself.
 */
export type PromptTextFixing = 'ftfy' | 'clip' | 'none'

export const PROMPT_TEXT_FIXINGS: readonly PromptTextFixing[] = ['ftfy', 'clip', 'none']

// transformers' whitespace_clean: the `regex` module's \s (Unicode White_Space), then Python's
// str.strip(), whose notion of whitespace also covers U+001C…U+001F.
const WHITESPACE_RUN = /[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g
const EDGE_WHITESPACE =
  // eslint-disable-next-line no-control-regex -- Python's isspace() includes U+001C…U+001F
  /^[\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g

/** transformers' `whitespace_clean`: whitespace runs become one space, ends trimmed. */
export function whitespaceClean(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(EDGE_WHITESPACE, '')
}

/** OpenAI CLIP's `basic_clean`: ftfy's `fix_text`, `html.unescape` twice, trimmed. */
export function clipBasicClean(text: string): string {
  return htmlUnescape(htmlUnescape(fixText(text))).replace(EDGE_WHITESPACE, '')
}

/**
 * The text a CLIP tokenizer hands to its BPE, cleaned as `mode` says. `specialTokens` are the
 * tokenizer's added tokens (`<|startoftext|>`, `<|endoftext|>`, …): in `'ftfy'` mode the text
 * between them is cleaned piece by piece and they stay as written, as transformers splits them
 * out before `_tokenize`.
 */
export function preparePromptText(
  text: string,
  mode: PromptTextFixing,
  specialTokens: readonly string[] = []
): string {
  if (mode === 'none') return text
  if (mode === 'clip') return whitespaceClean(clipBasicClean(text)).toLowerCase()
  const clean = (piece: string): string => whitespaceClean(fixText(piece)).toLowerCase()
  const specials = [...specialTokens]
    .filter((t) => t.length > 0)
    .sort((a, b) => b.length - a.length)
  let out = ''
  let start = 0
  let pos = 0
  while (pos < text.length) {
    const hit = specials.find((t) => text.startsWith(t, pos))
    if (hit === undefined) {
      pos++
      continue
    }
    out += clean(text.slice(start, pos)) + hit
    pos += hit.length
    start = pos
  }
  return out + clean(text.slice(start))
}
