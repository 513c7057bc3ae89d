import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { writeFileAtomicSync } from './atomic-write'
import type { RgbaImage } from './png'
import { encodePng } from './png'

/**
 * Writes a PNG file atomically: to a temporary name beside it, then renamed into place, so a
 * crash or a full disk never leaves a half-written image under the final name. Creates the
 * parent folder if needed.
 */
export function writePngFile(
  path: string,
  image: RgbaImage,
  text: Readonly<Record<string, string>> = {}
): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileAtomicSync(path, encodePng(image, text))
}
