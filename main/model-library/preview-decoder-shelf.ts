import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { ModelFamily } from '../../shared/contract'
import { readDownloadStatus } from '../engine'
import { findKnownPreviewDecoder, KNOWN_PREVIEW_DECODERS } from '../hub'
import type { KnownPreviewDecoder } from '../hub'

/**
 * The TAESD decoders downloaded for tiny previews, in `<data folder>/preview-decoders/`: one
 * folder per Hub repository, in the Hub's layout (`vae_decoder/model.onnx`). A decoder is not a
 * model and never joins the model library; it is attached to every model of its family that has
 * no decoder of its own (TAESD to SD 1.x and 2.x, TAESDXL to SDXL). Only finished downloads count
 * (the download's completion marker, as for models), so a half-fetched decoder is never used.
 */

/** The shelf's folder name inside the data folder. */
export const PREVIEW_DECODERS_FOLDER = 'preview-decoders'

/** A finished decoder download. */
export interface ShelvedDecoder {
  /** Its folder (a TAESD folder the engine's `previewDecoder` option accepts). */
  path: string
  repo: string
  known: KnownPreviewDecoder
}

/** The downloaded decoders; see the file comment. */
export class PreviewDecoderShelf {
  constructor(
    /** `<data folder>/preview-decoders`. */
    readonly dir: string
  ) {}

  /** Every finished download of a known decoder, in the known list's order. */
  async list(): Promise<ShelvedDecoder[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[])
    const found: ShelvedDecoder[] = []
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue
      const path = join(this.dir, name)
      const status = await readDownloadStatus(path).catch(() => null)
      if (status?.state !== 'complete') continue
      const known = findKnownPreviewDecoder(status.marker.repo)
      if (known === undefined) continue
      const graph = await fs.stat(join(path, 'vae_decoder', 'model.onnx')).catch(() => null)
      if (graph?.isFile() !== true) continue
      found.push({ path, repo: status.marker.repo, known })
    }
    const rank = (d: ShelvedDecoder): number => KNOWN_PREVIEW_DECODERS.indexOf(d.known)
    return found.sort((a, b) => rank(a) - rank(b))
  }

  /** The decoder models of `family` use: the first finished one that decodes its latents. */
  async forFamily(family: ModelFamily): Promise<ShelvedDecoder | null> {
    return (await this.list()).find((d) => d.known.families.includes(family)) ?? null
  }
}
