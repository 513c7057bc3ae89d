import { ftfyUnescapeHtml, parseCodePointTable } from './html-unescape'
import { fixC1Controls, fixEncoding } from './mojibake'
import { LIGATURES, WIDTH_MAP } from './text-fix-tables'

/**
 * ftfy's `fix_text` with its default settings (ftfy 6.3), which transformers' CLIPTokenizer
 * applies to every prompt when ftfy is installed, and OpenAI CLIP's tokenizer to its training
 * captions. Line by line, until nothing changes: HTML entities decoded (unless the text so far
 * contains `<`, i.e. looks like HTML), mojibake repaired, C1 controls read as windows-1252,
 * Latin ligatures split (ﬁ → fi), full-width characters made standard width (ＡＢＣ → ABC),
 * curly quotes straightened, line breaks made `\n`, lone surrogates replaced, terminal colour
 * escapes and invisible control characters (BOM included) removed, then NFC.
 */
export function fixText(text: string): string {
  let unescape = true
  let out = ''
  let pos = 0
  while (pos < text.length) {
    let end = text.indexOf('\n', pos) + 1
    if (end === 0) end = text.length
    // ftfy's max_decode_length: segments longer than a million characters are split.
    end = Math.min(end, pos + 1_000_000)
    const segment = text.slice(pos, end)
    // Once a segment contains "<", ftfy leaves entities alone for the rest of the text.
    if (segment.includes('<')) unescape = false
    out += fixSegment(segment, unescape)
    pos = end
  }
  return out
}

function fixSegment(text: string, unescape: boolean): string {
  for (;;) {
    const original = text
    if (unescape) text = ftfyUnescapeHtml(text)
    text = fixEncoding(text)
    text = fixC1Controls(text)
    text = fixLatinLigatures(text)
    text = fixCharacterWidth(text)
    text = uncurlQuotes(text)
    text = fixLineBreaks(text)
    text = fixSurrogates(text)
    text = removeTerminalEscapes(text)
    text = removeControlChars(text)
    text = text.normalize('NFC')
    if (text === original) return text
  }
}

interface Translation {
  table: Map<string, string>
  pattern: RegExp
}

/** A generated "hex:hex.hex" map as a character → replacement table and a regex of its keys. */
function translation(list: string): Translation {
  const table = new Map<string, string>()
  for (const [hex, value] of parseCodePointTable(list)) {
    table.set(String.fromCodePoint(parseInt(hex, 16)), value)
  }
  const keys = [...table.keys()].map((ch) => `\\u{${ch.codePointAt(0)?.toString(16)}}`)
  return { table, pattern: new RegExp(`[${keys.join('')}]`, 'gu') }
}

function translate(text: string, t: Translation): string {
  return text.replace(t.pattern, (ch) => t.table.get(ch) ?? ch)
}

let ligatures: Translation | null = null
let widths: Translation | null = null

/** ﬁ → fi, ﬀ → ff, Ĳ → IJ, ǆ → dž…: ftfy's `fix_latin_ligatures`. */
export function fixLatinLigatures(text: string): string {
  ligatures ??= translation(LIGATURES)
  return translate(text, ligatures)
}

/** Full-width ASCII and half-width katakana/hangul to standard width: ftfy's `fix_character_width`. */
export function fixCharacterWidth(text: string): string {
  widths ??= translation(WIDTH_MAP)
  return translate(text, widths)
}

/** Curly quotes (‘ ’ ‚ ‛ ʼ, “ ” „ ‟) to ' and ": ftfy's `uncurl_quotes`. */
export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'")
}

/** CRLF, CR, U+2028, U+2029 and U+0085 to `\n`: ftfy's `fix_line_breaks`. */
export function fixLineBreaks(text: string): string {
  return text.replaceAll('\r\n', '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n')
}

/** Lone UTF-16 surrogates to U+FFFD (a JavaScript string holds a valid pair as one character). */
function fixSurrogates(text: string): string {
  return text.replace(/\p{Cs}/gu, '\ufffd')
}

/** ANSI terminal escapes such as `ESC[31m` (Python's `\d` is any decimal digit). */
function removeTerminalEscapes(text: string): string {
  // eslint-disable-next-line no-control-regex -- ESC starts the escape
  return text.replace(/\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu, '')
}

/**
 * Control characters with no visible effect: C0 controls other than tab, line feed, form feed and
 * carriage return, DEL, the deprecated Arabic format controls, interlinear annotation marks, the
 * object replacement character and the byte-order mark — ftfy's `remove_control_chars`.
 */
export function removeControlChars(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g,
    ''
  )
}
