import { crc32, inflateSync } from 'node:zlib'

/**
 * PNG chunk framing and the three textual chunk types (PNG spec §11.3.4). pngjs encodes and
 * decodes pixels but neither writes nor returns text chunks, and fast-png writes only Latin-1
 * `tEXt`; AUTOMATIC1111 (through Pillow's `PngInfo.add_text`) writes `tEXt` when the text is
 * Latin-1 and falls back to UTF-8 `iTXt` otherwise, and prompts often are not Latin-1. Chunk
 * framing is four fields and a CRC, so that part is done here with node:zlib's crc32/inflate.
 */

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)

/** One chunk: its four-letter type and its data (without length and CRC). */
export interface PngChunk {
  type: string
  data: Uint8Array
}

/** A keyword and its text, from a `tEXt`, `zTXt` or `iTXt` chunk. */
export interface PngText {
  keyword: string
  text: string
}

/** Whether the bytes start with the PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)
}

function chunkCrc(typeBytes: Uint8Array, data: Uint8Array): number {
  return crc32(data, crc32(typeBytes)) >>> 0
}

/** Splits a PNG file into chunks, checking the signature, the lengths and every CRC. */
export function readPngChunks(bytes: Uint8Array): PngChunk[] {
  if (!hasPngSignature(bytes)) throw new Error('not a PNG file (the PNG signature is missing)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chunks: PngChunk[] = []
  let offset = 8
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new Error(`truncated PNG: chunk header at byte ${offset}`)
    const length = view.getUint32(offset)
    const typeBytes = bytes.subarray(offset + 4, offset + 8)
    const type = String.fromCharCode(...typeBytes)
    const end = offset + 12 + length
    if (end > bytes.length) throw new Error(`truncated PNG: chunk ${type} at byte ${offset}`)
    const data = bytes.subarray(offset + 8, offset + 8 + length)
    if (chunkCrc(typeBytes, data) !== view.getUint32(offset + 8 + length)) {
      throw new Error(`corrupt PNG: bad CRC in chunk ${type} at byte ${offset}`)
    }
    chunks.push({ type, data })
    offset = end
    if (type === 'IEND') break
  }
  return chunks
}

/** Joins chunks into a PNG file (signature, then length/type/data/CRC per chunk). */
export function writePngChunks(chunks: readonly PngChunk[]): Buffer {
  const size = 8 + chunks.reduce((sum, c) => sum + 12 + c.data.length, 0)
  const out = Buffer.alloc(size)
  out.set(PNG_SIGNATURE, 0)
  let offset = 8
  for (const chunk of chunks) {
    if (!/^[A-Za-z]{4}$/.test(chunk.type)) throw new Error(`invalid PNG chunk type ${chunk.type}`)
    const typeBytes = Buffer.from(chunk.type, 'latin1')
    out.writeUInt32BE(chunk.data.length, offset)
    out.set(typeBytes, offset + 4)
    out.set(chunk.data, offset + 8)
    out.writeUInt32BE(chunkCrc(typeBytes, chunk.data), offset + 8 + chunk.data.length)
    offset += 12 + chunk.data.length
  }
  return out
}

function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false
  return true
}

function checkKeyword(keyword: string): void {
  // PNG §11.3.4.2: 1–79 Latin-1 printable characters, no leading, trailing or double spaces.
  const ok =
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\x20-\x7e\xa1-\xff]+$/.test(keyword) &&
    keyword === keyword.trim() &&
    !keyword.includes('  ')
  if (!ok) {
    throw new Error(
      `invalid PNG text keyword ${JSON.stringify(keyword)} (1–79 Latin-1 characters, no leading, trailing or double spaces)`
    )
  }
}

/**
 * A text chunk as Pillow's `add_text` writes it: `tEXt` (Latin-1) when every character is
 * Latin-1 and there is no NUL, else an uncompressed UTF-8 `iTXt`.
 */
export function encodeTextChunk(keyword: string, text: string): PngChunk {
  checkKeyword(keyword)
  const key = Buffer.from(keyword, 'latin1')
  if (isLatin1(text) && !text.includes('\0')) {
    return { type: 'tEXt', data: Buffer.concat([key, Buffer.of(0), Buffer.from(text, 'latin1')]) }
  }
  // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translation NUL.
  const header = Buffer.of(0, 0, 0, 0, 0)
  return { type: 'iTXt', data: Buffer.concat([key, header, Buffer.from(text, 'utf8')]) }
}

function nulAt(data: Uint8Array, from: number, type: string): number {
  const at = data.indexOf(0, from)
  if (at < 0) throw new Error(`corrupt PNG ${type} chunk: missing NUL separator`)
  return at
}

/** Reads a `tEXt`, `zTXt` or `iTXt` chunk; other chunk types give null. */
export function decodeTextChunk(chunk: PngChunk): PngText | null {
  const { type, data } = chunk
  if (type !== 'tEXt' && type !== 'zTXt' && type !== 'iTXt') return null
  const keyEnd = nulAt(data, 0, type)
  const keyword = Buffer.from(data.subarray(0, keyEnd)).toString('latin1')
  if (type === 'tEXt') {
    return { keyword, text: Buffer.from(data.subarray(keyEnd + 1)).toString('latin1') }
  }
  if (type === 'zTXt') {
    const text = inflateSync(data.subarray(keyEnd + 2)).toString('latin1')
    return { keyword, text }
  }
  const compressed = data[keyEnd + 1] === 1
  const languageEnd = nulAt(data, keyEnd + 3, type)
  const translatedEnd = nulAt(data, languageEnd + 1, type)
  const body = data.subarray(translatedEnd + 1)
  const text = (compressed ? inflateSync(body) : Buffer.from(body)).toString('utf8')
  return { keyword, text }
}
