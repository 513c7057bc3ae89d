import jpeg from 'jpeg-js'
import { decodePng } from './png'

/** A decoded input picture: 8-bit RGBA. */
export interface DecodedImage {
  width: number
  height: number
  data: Uint8Array
  format: 'png' | 'jpeg'
}

/** Limits on input pictures: larger files or sizes are refused before they fill memory. */
export const INPUT_IMAGE_LIMITS = {
  /** Bytes of the file. */
  maxBytes: 64 * 1024 * 1024,
  /** Pixels on the longer side. */
  maxSide: 8192,
  /** Pixels in all. */
  maxPixels: 40_000_000
} as const

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b)
}

/**
 * Decodes a PNG or JPEG file's bytes (told apart by their signature, not the file name) to RGBA,
 * with errors that say what is wrong in the user's words: not a picture, a damaged file, or one
 * too large (`INPUT_IMAGE_LIMITS`). `what` names the input in messages ("the init image").
 * JPEG is decoded by jpeg-js (pure JavaScript).
 */
export function decodeImage(bytes: Uint8Array, what = 'the image'): DecodedImage {
  const { maxBytes, maxSide, maxPixels } = INPUT_IMAGE_LIMITS
  if (bytes.length === 0) throw new Error(`${what} is an empty file`)
  if (bytes.length > maxBytes) {
    throw new Error(
      `${what} is ${(bytes.length / 1e6).toFixed(1)} MB; input pictures may be at most ${maxBytes / 1024 / 1024} MiB`
    )
  }
  let decoded: DecodedImage
  if (startsWith(bytes, PNG_SIGNATURE)) {
    // The header's size is checked before decoding, so a small file claiming a huge picture never
    // allocates its pixels.
    if (bytes.length >= 24) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      refuseOversize(view.getUint32(16), view.getUint32(20), what)
    }
    try {
      const png = decodePng(bytes)
      decoded = { width: png.width, height: png.height, data: png.data, format: 'png' }
    } catch (error) {
      throw new Error(`${what} is a damaged PNG file: ${(error as Error).message}`, {
        cause: error
      })
    }
  } else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    try {
      const out = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: 1024
      })
      decoded = { width: out.width, height: out.height, data: out.data, format: 'jpeg' }
    } catch (error) {
      const message = (error as Error).message
      if (/maxResolutionInMP|maxMemoryUsageInMB/.test(message)) {
        throw new Error(
          `${what} is too large: input pictures may have at most ${maxPixels / 1e6} million pixels and ${maxSide} pixels on a side`,
          { cause: error }
        )
      }
      throw new Error(`${what} is a damaged JPEG file: ${message}`, { cause: error })
    }
  } else {
    throw new Error(`${what} is not a PNG or JPEG picture`)
  }
  refuseOversize(decoded.width, decoded.height, what)
  return decoded
}

function refuseOversize(width: number, height: number, what: string): void {
  const { maxSide, maxPixels } = INPUT_IMAGE_LIMITS
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new Error(
      `${what} is ${width}×${height} pixels, too large: input pictures may have at most ${maxSide} pixels on a side and ${maxPixels / 1e6} million in all`
    )
  }
}

/** Whether every pixel is grey (R = G = B): a mask needs no colour conversion. */
export function isGreyscale(image: { data: Uint8Array }): boolean {
  const d = image.data
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2]) return false
  }
  return true
}
