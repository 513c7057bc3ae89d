import { PNG } from 'pngjs'
import type { PngChunk } from './png-chunks'
import { decodeTextChunk, encodeTextChunk, readPngChunks, writePngChunks } from './png-chunks'

/**
 * PNG encode/decode for generated images and previews: pixels through pngjs, text chunks
 * (AUTOMATIC1111's `parameters`) through ./png-chunks.
 */

/** 8-bit RGBA pixels, row-major; `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}

/** A decoded PNG: RGBA pixels plus its text chunks by keyword. */
export interface DecodedPng extends RgbaImage {
  text: Record<string, string>
}

function checkImage(image: RgbaImage): void {
  const { width, height, data } = image
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`invalid image size ${width}x${height} (both must be positive integers)`)
  }
  if (data.length !== width * height * 4) {
    throw new Error(
      `RGBA data has ${data.length} bytes, expected ${width * height * 4} for ${width}x${height}`
    )
  }
}

function isOpaque(data: Uint8Array): boolean {
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false
  return true
}

/**
 * Encodes RGBA pixels as a PNG with the given text chunks, placed before the image data like
 * Pillow does. Fully opaque images are stored as RGB (what A1111 writes, and a quarter smaller).
 */
export function encodePng(image: RgbaImage, text: Readonly<Record<string, string>> = {}): Buffer {
  checkImage(image)
  const png = new PNG({ width: image.width, height: image.height })
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  const pixels = PNG.sync.write(png, {
    colorType: isOpaque(image.data) ? 2 : 6,
    inputColorType: 6,
    inputHasAlpha: true
  })
  const textChunks = Object.entries(text).map(([k, v]) => encodeTextChunk(k, v))
  if (textChunks.length === 0) return pixels
  const chunks: PngChunk[] = readPngChunks(pixels)
  const [header, ...rest] = chunks
  if (header === undefined) throw new Error('pngjs produced an empty PNG')
  return writePngChunks([header, ...textChunks, ...rest])
}

/** Reads every text chunk of a PNG without decoding its pixels (later keywords win). */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  const text: Record<string, string> = {}
  for (const chunk of readPngChunks(bytes)) {
    const entry = decodeTextChunk(chunk)
    if (entry !== null) text[entry.keyword] = entry.text
  }
  return text
}

/** Decodes a PNG to 8-bit RGBA pixels and its text chunks. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const text = readPngText(bytes)
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  return {
    width: png.width,
    height: png.height,
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
    text
  }
}
