/**
 * Reads the text chunks of a PNG file, as A1111's "PNG Info" does (the page reads dropped files
 * with it): the `parameters` text Stepwise, AUTOMATIC1111 and most other tools write. Only tEXt
 * and iTXt without compression are read; that is what those tools write.
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10]

/** The text chunks of `bytes` by keyword; throws for a file that is not a PNG. */
export function readPngTextChunks(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error('not a PNG file')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const latin1 = new TextDecoder('latin1')
  const utf8 = new TextDecoder('utf-8')
  const out: Record<string, string> = {}
  let offset = 8
  while (offset + 12 <= bytes.length) {
    const length = view.getUint32(offset)
    const type = latin1.decode(bytes.subarray(offset + 4, offset + 8))
    const start = offset + 8
    const end = start + length
    if (end + 4 > bytes.length) break
    const data = bytes.subarray(start, end)
    const zero = data.indexOf(0)
    if (zero > 0 && type === 'tEXt') {
      out[latin1.decode(data.subarray(0, zero))] = latin1.decode(data.subarray(zero + 1))
    } else if (zero > 0 && type === 'iTXt' && data[zero + 1] === 0) {
      // keyword \0 compression-flag compression-method language \0 translated \0 text
      const keyword = latin1.decode(data.subarray(0, zero))
      let p = zero + 3
      p = data.indexOf(0, p) + 1
      p = data.indexOf(0, p) + 1
      if (p > 0) out[keyword] = utf8.decode(data.subarray(p))
    }
    if (type === 'IEND') break
    offset = end + 4
  }
  return out
}
