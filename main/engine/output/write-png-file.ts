import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
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
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    writeFileSync(temp, encodePng(image, text))
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}
