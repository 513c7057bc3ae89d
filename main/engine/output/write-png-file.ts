import { mkdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write'
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

/**
 * Saves an image as a PNG file (what diffusers users write as `image.save("out.png")`), with
 * optional text chunks (e.g. `{ parameters }` in AUTOMATIC1111's format). Atomic like
 * {@link writePngFile}, creating the parent folder if needed; resolves once the file is in place.
 *
 * ```ts
 * const out = await pipe.call({ prompt: 'a red circle on a blue background' })
 * await saveImage(out.images[0], 'red-circle.png')
 * ```
 */
export async function saveImage(
  // `out.images[0]` is typed `RgbaImage | undefined` under noUncheckedIndexedAccess: taking it
  // as it is keeps the common call short, and a missing image gets a clear error.
  image: RgbaImage | undefined,
  path: string,
  options: { text?: Readonly<Record<string, string>> } = {}
): Promise<void> {
  if (image === undefined || image === null) {
    throw new TypeError(`saveImage: no image to save to ${path} (the call returned no image?)`)
  }
  const bytes = encodePng(image, options.text ?? {})
  await mkdir(dirname(path), { recursive: true })
  await writeFileAtomic(path, bytes)
}
