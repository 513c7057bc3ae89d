import {
  CHARMAP_ENCODINGS,
  binaryToBytes,
  bytesToBinary,
  canEncode,
  decodeSingleByte,
  decodeUtf8,
  decodeUtf8Variants,
  decodeWindows1252,
  encodeSingleByte
} from './byte-codecs'
import { BADNESS_RE, UTF8_DETECTOR_RE } from './text-fix-tables'

/**
 * ftfy's `fix_encoding`: text that looks like UTF-8 decoded in a single-byte codec ("cafÃ©",
 * "â€œquotedâ€\u009d") is encoded back in that codec and decoded as UTF-8, step by step until
 * nothing changes. Whether text "looks like mojibake" is ftfy's badness heuristic, so ordinary
 * text with accents, currency signs or kaomoji is left alone exactly where ftfy leaves it.
 */
export function fixEncoding(text: string): string {
  for (;;) {
    const fixed = fixEncodingOneStep(text)
    if (fixed === text) return text
    text = fixed
  }
}

/** ftfy's `is_bad`: the text contains a character sequence that is far likelier mojibake than intended. */
export function isBad(text: string): boolean {
  return BADNESS_RE.test(text)
}

const C1_CONTROL = /[\u0080-\u009f]/g

/** ftfy's `fix_c1_controls`: C1 control characters read as the windows-1252 characters they stand for. */
export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL, (ch) =>
    decodeSingleByte(Uint8Array.of(ch.charCodeAt(0)), 'sloppy-windows-1252')
  )
}

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || isAscii(text) || !isBad(text)) return text
  const possible: string[] = []
  for (const encoding of CHARMAP_ENCODINGS) {
    if (!canEncode(text, encoding)) continue
    possible.push(encoding)
    let bytes = encodeSingleByte(text, encoding)
    if (bytes === null) continue
    if (encoding !== 'macroman' && bytesToBinary(bytes).search(ALTERED_UTF8) >= 0) {
      bytes = restoreByteA0(bytes)
    }
    if (encoding.startsWith('sloppy-')) bytes = replaceLossySequences(bytes)
    const decoded =
      bytes.includes(0xed) || bytes.includes(0xc0) ? decodeUtf8Variants(bytes) : decodeUtf8(bytes)
    if (decoded !== null) return decoded
  }
  // UTF-8 mojibake embedded in otherwise fine text: fix each such run on its own.
  if (text.search(UTF8_DETECTOR_RE) >= 0) {
    const fixed = decodeInconsistentUtf8(text)
    if (fixed !== text) return fixed
  }
  // Latin-1 text with C1 controls was meant as windows-1252. (ftfy first asks whether the text
  // is also plain windows-1252, but that name is never among its candidates, only the sloppy one.)
  if (possible.includes('latin-1')) {
    const latin1 = encodeSingleByte(text, 'latin-1')
    const fixed = latin1 === null ? null : decodeWindows1252(latin1)
    if (fixed !== null && fixed !== text) return fixed
  }
  if (text.search(C1_CONTROL) >= 0) return fixC1Controls(text)
  return text
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR_RE, (run) =>
    run.length < text.length && isBad(run) ? fixEncoding(run) : run
  )
}

// Byte patterns over binary strings (one char per byte), as ftfy's chardata defines them.

/** UTF-8 sequences whose byte A0 was turned into a space (20). */
const ALTERED_UTF8 = new RegExp(
  [
    '[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9] ',
    '[\\xe2\\xe3] [\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]',
    '[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf] ',
    '\\xf0 [\\x80-\\xbf][\\x80-\\xbf]',
    '\\xf0[\\x80-\\xbf] [\\x80-\\xbf]',
    '\\xf0[\\x80-\\xbf][\\x80-\\xbf] '
  ].join('|'),
  'g'
)

/** "Ã " standing alone is "à" plus a space, except before the Portuguese "às", "àquele"…. */
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g

/** UTF-8 sequences some of whose bytes a lossy decoder turned into U+FFFD (0x1A here) or "?". */
const LOSSY_UTF8 = new RegExp(
  [
    '[\\xc2-\\xdf]\\x1a',
    '[\\xc2-\\xc3][?]',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a'
  ].join('|'),
  'g'
)

/** ftfy's `restore_byte_a0`: puts back the A0 bytes that became spaces inside UTF-8 sequences. */
function restoreByteA0(bytes: Uint8Array): Uint8Array {
  const s = bytesToBinary(bytes)
    .replace(A_GRAVE_WORD, '\xc3\xa0 ')
    .replace(ALTERED_UTF8, (m) => m.replaceAll(' ', '\xa0'))
  return binaryToBytes(s)
}

/** ftfy's `replace_lossy_sequences`: such damaged sequences become the UTF-8 of U+FFFD. */
function replaceLossySequences(bytes: Uint8Array): Uint8Array {
  return binaryToBytes(bytesToBinary(bytes).replace(LOSSY_UTF8, '\xef\xbf\xbd'))
}
