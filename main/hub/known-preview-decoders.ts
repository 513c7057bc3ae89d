/**
 * The tiny (TAESD-class) preview decoders offered for download, next to the curated models. Each
 * is an ONNX export of madebyollin's TAESD / TAESDXL decoder on the Hugging Face Hub, in the
 * layout `vae_decoder/model.onnx` (4.9 MB, no config: TAESD's conventions, latents as the
 * pipeline holds them in, pixels in [−1, 1] out). What was checked of each repository from here
 * (its file tree and sizes; its files themselves could not be read) is in main/engine/hub/README.md.
 */

/** The model families whose latents a decoder reads (the VAE it was distilled from). */
export type PreviewDecoderFamily = 'sd1' | 'sd2' | 'sdxl'

/** One downloadable TAESD decoder. */
export interface KnownPreviewDecoder {
  /** Stable key (the downloads panel, the Models panel's offer). */
  key: string
  name: string
  repo: string
  revision: string
  /** The families it decodes: TAESD reads the SD 1.x/2.x VAE's latents, TAESDXL the SDXL VAE's. */
  families: readonly PreviewDecoderFamily[]
  /** What the download fetches (only `vae_decoder/`), in MB. */
  approxDownloadMB: number
  note: string
}

/** The known decoders; the first one of a family is the one offered for its models. */
export const KNOWN_PREVIEW_DECODERS: readonly KnownPreviewDecoder[] = [
  {
    key: 'taesd',
    name: 'TAESD tiny preview decoder (SD 1.x / 2.x)',
    repo: 'deinferno/taesd-onnx',
    revision: 'main',
    families: ['sd1', 'sd2'],
    approxDownloadMB: 4.9,
    note: "madebyollin's TAESD decoder as ONNX (MIT license): full-resolution previews of SD 1.x, SD 2.x and SD-Turbo runs for a few % of a step. Only vae_decoder/ is fetched."
  },
  {
    key: 'taesdxl',
    name: 'TAESDXL tiny preview decoder (SDXL)',
    repo: 'julienkay/taesdxl',
    revision: 'main',
    families: ['sdxl'],
    approxDownloadMB: 4.9,
    note: "madebyollin's TAESDXL decoder as ONNX (MIT license): full-resolution previews of SDXL and SDXL-Turbo runs. Only vae_decoder/ is fetched."
  },
  {
    key: 'taesd-julienkay',
    name: 'TAESD tiny preview decoder (SD 1.x / 2.x, second export)',
    repo: 'julienkay/taesd',
    revision: 'main',
    families: ['sd1', 'sd2'],
    approxDownloadMB: 4.9,
    note: 'Another ONNX export of the TAESD decoder, in the same layout. Only vae_decoder/ is fetched.'
  }
]

/** The known decoder published in `repo` (the Hub's ids are case-insensitive), or undefined. */
export function findKnownPreviewDecoder(repo: string): KnownPreviewDecoder | undefined {
  const wanted = repo.trim().toLowerCase()
  return KNOWN_PREVIEW_DECODERS.find((d) => d.repo.toLowerCase() === wanted)
}

/** The decoder offered for models of `family`, or undefined when none fits. */
export function previewDecoderForFamily(family: string): KnownPreviewDecoder | undefined {
  return KNOWN_PREVIEW_DECODERS.find((d) => (d.families as readonly string[]).includes(family))
}
