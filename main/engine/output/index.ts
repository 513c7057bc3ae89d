/**
 * Image output: PNG encode/decode with text chunks, and the AUTOMATIC1111 `parameters` chunk
 * (its text format lives in shared/a1111-parameters.ts so the renderer can read it too).
 */
export type { DecodedPng, RgbaImage } from './png'
export { decodePng, encodePng, readPngText } from './png'
export type { PngChunk, PngText } from './png-chunks'
export { decodeTextChunk, encodeTextChunk, readPngChunks, writePngChunks } from './png-chunks'
export { saveImage, writePngFile } from './write-png-file'
export { removeLeftoverTempFiles, writeFileAtomic, writeFileAtomicSync } from './atomic-write'
export { decodeImage, isGreyscale, INPUT_IMAGE_LIMITS } from './decode-image'
export type { DecodedImage } from './decode-image'
