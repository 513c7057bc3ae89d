import { SINGLE_BYTE_CODECS, WINDOWS_1252_UNDEFINED } from './text-fix-tables'

/**
 * The byte-level codecs ftfy's mojibake repair needs, as Python implements them: the
 * single-byte encodings it tries (in its order), strict windows-1252, strict UTF-8 and ftfy's
 * "utf-8-variants" (CESU-8 surrogate pairs and Java's two-byte NUL). Bytes travel as
 * `Uint8Array`s; the byte-pattern fixers see them as "binary strings" (one char per byte).
 */

/** ftfy's `CHARMAP_ENCODINGS`, in the order it tries them. */
export const CHARMAP_ENCODINGS: readonly string[] = ['latin-1', ...Object.keys(SINGLE_BYTE_CODECS)]

interface Codec {
  /** Character → byte for every character the codec can encode. */
  encode: Map<number, number>
  /** Byte → character. */
  decode: string[]
}

const codecs = new Map<string, Codec>()

function codec(encoding: string): Codec {
  let c = codecs.get(encoding)
  if (c !== undefined) return c
  const upper = encoding === 'latin-1' ? null : SINGLE_BYTE_CODECS[encoding]
  if (upper === undefined) throw new Error(`unknown single-byte codec ${encoding}`)
  const decode: string[] = []
  for (let b = 0; b < 256; b++) {
    if (b < 0x80)
      decode.push(b === 0x1a && encoding.startsWith('sloppy-') ? '\ufffd' : String.fromCharCode(b))
    else decode.push(upper === null ? String.fromCharCode(b) : (upper[b - 0x80] as string))
  }
  const encode = new Map<number, number>()
  decode.forEach((ch, b) => {
    if (ch !== '\ufffd' || encoding.startsWith('sloppy-')) encode.set(ch.charCodeAt(0), b)
  })
  c = { encode, decode }
  codecs.set(encoding, c)
  return c
}

/**
 * ftfy's `possible_encoding`: whether every character of `text` has a byte in `encoding` (the
 * sloppy codecs spend byte 0x1A on U+FFFD, so they cannot encode U+001A).
 */
export function canEncode(text: string, encoding: string): boolean {
  const table = codec(encoding).encode
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (ch < 0x80 && ch !== 0x1a) continue
    if (!table.has(ch)) return false
  }
  return true
}

/** `text.encode(encoding)`; null where a character has no byte. */
export function encodeSingleByte(text: string, encoding: string): Uint8Array | null {
  const table = codec(encoding).encode
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    const b = ch < 0x80 && ch !== 0x1a ? ch : table.get(ch)
    if (b === undefined) return null
    out[i] = b
  }
  return out
}

/** `bytes.decode(encoding)` for a single-byte codec (sloppy ones decode every byte). */
export function decodeSingleByte(bytes: Uint8Array, encoding: string): string {
  const table = codec(encoding).decode
  let out = ''
  for (const b of bytes) out += table[b] as string
  return out
}

/** `bytes.decode('windows-1252')` (strict): null when a byte is undefined there. */
export function decodeWindows1252(bytes: Uint8Array): string | null {
  for (const b of bytes) if (WINDOWS_1252_UNDEFINED.includes(b)) return null
  return decodeSingleByte(bytes, 'sloppy-windows-1252')
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** `bytes.decode('utf-8')` (strict, a BOM kept as U+FEFF); null on invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes)
  } catch {
    return null
  }
}

/**
 * ftfy's "utf-8-variants" codec: UTF-8 that may also hold CESU-8 (a UTF-16 surrogate pair
 * encoded as two 3-byte sequences) and Java's `C0 80` for U+0000. Everything else must be
 * strict UTF-8; null otherwise.
 */
export function decodeUtf8Variants(bytes: Uint8Array): string | null {
  let out = ''
  let start = 0
  let i = 0
  const flush = (end: number): boolean => {
    if (end === start) return true
    const part = decodeUtf8(bytes.subarray(start, end))
    if (part === null) return false
    out += part
    return true
  }
  while (i < bytes.length) {
    const b = bytes[i] as number
    if (b === 0xc0 && bytes[i + 1] === 0x80) {
      if (!flush(i)) return null
      out += '\u0000'
      i += 2
      start = i
    } else if (b === 0xed && isCesu8Pair(bytes, i)) {
      if (!flush(i)) return null
      const cp =
        (((bytes[i + 1] as number) & 0x0f) << 16) +
        (((bytes[i + 2] as number) & 0x3f) << 10) +
        (((bytes[i + 4] as number) & 0x0f) << 6) +
        ((bytes[i + 5] as number) & 0x3f) +
        0x10000
      out += String.fromCodePoint(cp)
      i += 6
      start = i
    } else {
      i++
    }
  }
  return flush(bytes.length) ? out : null
}

function isCesu8Pair(bytes: Uint8Array, i: number): boolean {
  const at = (k: number): number => bytes[i + k] ?? -1
  return (
    at(1) >= 0xa0 &&
    at(1) <= 0xaf &&
    at(2) >= 0x80 &&
    at(2) <= 0xbf &&
    at(3) === 0xed &&
    at(4) >= 0xb0 &&
    at(4) <= 0xbf &&
    at(5) >= 0x80 &&
    at(5) <= 0xbf
  )
}

/** Bytes as a string of U+0000–U+00FF, one char per byte, for byte-pattern regexes. */
export function bytesToBinary(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return s
}

/** The inverse of {@link bytesToBinary}. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}
