import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import type { InputImageInfo } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { InputImageIdSchema } from '../../shared/params'
import { decodeImage, decodePng, encodePng, writeFileAtomic } from '../engine'
import { describeWriteFailure } from './history-files'

/** An input picture's pixels, as the inference process takes them. */
export interface InputPixels {
  width: number
  height: number
  data: Uint8Array
}

/**
 * The input pictures and masks of image-to-image and inpainting runs, stored once in
 * `<history>/inputs/<sha256>.png`: each is decoded (PNG or JPEG), stored as an RGBA PNG, and
 * named by the SHA-256 of that PNG, so the same picture used by many runs is one file, and a
 * history entry names its inputs by content. Files are written atomically and never changed.
 */
export class InputImages {
  readonly dir: string

  constructor(historyDir: string) {
    this.dir = join(resolve(historyDir), 'inputs')
  }

  /** Stores a picture (PNG or JPEG bytes); bad or oversized pictures are refused, saying why. */
  async put(bytes: Uint8Array): Promise<InputImageInfo> {
    let decoded
    try {
      decoded = decodeImage(bytes, 'the picture')
    } catch (error) {
      throw new StepwiseError('invalid-argument', (error as Error).message)
    }
    const png = encodePng({ width: decoded.width, height: decoded.height, data: decoded.data })
    const imageId = createHash('sha256').update(png).digest('hex')
    const file = this.file(imageId)
    const exists = await fs.stat(file).then(
      () => true,
      () => false
    )
    if (!exists) {
      try {
        await fs.mkdir(this.dir, { recursive: true })
        await writeFileAtomic(file, png)
      } catch (error) {
        throw new StepwiseError('failed', describeWriteFailure(error, this.dir))
      }
    }
    return { imageId, width: decoded.width, height: decoded.height }
  }

  /** The stored PNG file's bytes. Throws not-found for an id that is not stored. */
  async png(imageId: string): Promise<Uint8Array> {
    try {
      return await fs.readFile(this.file(imageId))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StepwiseError(
          'not-found',
          `the input picture ${imageId.slice(0, 12)}… is not stored in ${this.dir} (it was deleted, or the history folder changed); choose the picture again`
        )
      }
      throw error
    }
  }

  /** The stored picture's RGBA pixels. */
  async pixels(imageId: string): Promise<InputPixels> {
    const png = decodePng(await this.png(imageId))
    return { width: png.width, height: png.height, data: png.data }
  }

  private file(imageId: string): string {
    if (!InputImageIdSchema.safeParse(imageId).success) {
      throw new StepwiseError(
        'invalid-argument',
        `not an input image id: ${JSON.stringify(imageId)}`
      )
    }
    const path = join(this.dir, `${imageId}.png`)
    if (!path.startsWith(this.dir + sep)) {
      throw new StepwiseError('forbidden', 'input paths must stay inside the history folder')
    }
    return path
  }
}
