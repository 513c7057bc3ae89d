import os from 'node:os'
import type { ModelFolder } from '../models/model-folder'

/**
 * How much memory one denoising run needs beyond the model's weights, estimated from the image
 * size *before* anything is allocated, so an impossible size is refused with a message instead
 * of the inference process running out of memory part-way.
 *
 * What grows: the UNet's self-attention at its highest-resolution attention level holds
 * token × token score matrices (tokens = latent height × latent width), so memory grows with
 * (h·w)² per UNet row (2 rows per image with classifier-free guidance); convolution activations
 * and the VAE decoder grow with h·w. Measured on onnxruntime-node's CPU provider with the
 * fixture UNets (tiny-sd-random at 384², 512² and 768² px: peak RSS rose 0.23, 0.62 and 3.0 GB
 * over an idle process), attention costs about 20 bytes per row per token pair (about five
 * float32 score matrices alive at once), which {@link ATTENTION_BYTES_PER_TOKEN_PAIR} encodes.
 * It is an estimate for refusing what cannot fit, not a promise that what passes will.
 */

/** Bytes per UNet row per (token, token) pair in self-attention; see the file comment. */
export const ATTENTION_BYTES_PER_TOKEN_PAIR = 20

/** Share of physical memory a run may plan to use; the OS, the app and the weights need the rest. */
export const DEFAULT_MEMORY_SHARE = 0.75

/** The run whose memory is estimated. */
export interface RunShape {
  height: number
  width: number
  /** UNet rows per step: images × 2 with classifier-free guidance, × 1 without. */
  unetRows: number
  /** Images decoded by the VAE. */
  images: number
}

/** An estimate and what it is made of, in bytes. */
export interface MemoryEstimate {
  bytes: number
  unetBytes: number
  vaeBytes: number
}

const FLOAT32 = 4

function numbers(value: unknown): number[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && v > 0)
    ? (value as number[])
    : null
}

/** Index of the first UNet level with attention (0 for SD 1.x/2.x, 1 for SDXL); 0 when unsure. */
function firstAttentionLevel(unetRaw: Record<string, unknown>): number {
  const types = unetRaw['down_block_types']
  if (!Array.isArray(types)) return 0
  const level = types.findIndex((t) => typeof t === 'string' && t.includes('Attn'))
  return level === -1 ? Math.max(0, types.length - 1) : level
}

/** Estimates the peak memory of one run of `folder`'s UNet and VAE decoder at `shape`. */
export function estimateRunMemory(folder: ModelFolder, shape: RunShape): MemoryEstimate {
  const f = folder.vaeConfig.scaleFactor
  const latentH = Math.floor(shape.height / f)
  const latentW = Math.floor(shape.width / f)
  const tokens = latentH * latentW
  const unetRaw = folder.unetConfig.raw
  const attentionTokens = tokens / 4 ** firstAttentionLevel(unetRaw)
  const channels = numbers(unetRaw['block_out_channels']) ?? [320, 640, 1280, 1280]
  // Skip connections of every level stay alive until the up path uses them, plus a few
  // working tensors at full latent resolution.
  const layers = typeof unetRaw['layers_per_block'] === 'number' ? unetRaw['layers_per_block'] : 2
  const skips = channels.reduce((sum, c, i) => sum + (layers + 1) * c * (tokens / 4 ** i), 0)
  const working = 4 * (channels[0] as number) * tokens
  const unetBytes =
    shape.unetRows *
    (ATTENTION_BYTES_PER_TOKEN_PAIR * attentionTokens ** 2 + FLOAT32 * (skips + working))
  // VAE decoder: one attention over the latent tokens, then convolutions up to full size
  // (a few tensors of the first level's channel count alive at once).
  const vaeChannels = numbers(folder.vaeConfig.raw['block_out_channels']) ?? [128, 256, 512, 512]
  const pixels = shape.height * shape.width
  const vaeBytes =
    shape.images *
    (ATTENTION_BYTES_PER_TOKEN_PAIR * tokens ** 2 +
      3 * FLOAT32 * (vaeChannels[0] as number) * pixels)
  // The UNet's memory is freed before decoding starts: the peak is the larger of the two.
  return { bytes: Math.max(unetBytes, vaeBytes), unetBytes, vaeBytes }
}

/** The default limit: {@link DEFAULT_MEMORY_SHARE} of this machine's physical memory. */
export function defaultMemoryLimit(): number {
  return Math.floor(os.totalmem() * DEFAULT_MEMORY_SHARE)
}

function gib(bytes: number): string {
  const value = bytes / 2 ** 30
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} GiB`
}

/**
 * The refusal for a run estimated over `limit`, naming the size, the estimate and the limit;
 * null when it fits.
 */
export function memoryRefusal(
  shape: RunShape,
  estimate: MemoryEstimate,
  limit?: number
): string | null {
  const max = limit ?? defaultMemoryLimit()
  if (estimate.bytes <= max) return null
  const rows = `${shape.unetRows} UNet row${shape.unetRows === 1 ? '' : 's'}`
  const of =
    limit === undefined
      ? ` (${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's ${gib(os.totalmem())})`
      : ''
  return `${shape.width}×${shape.height} is too large for memory: a run with ${rows} needs an estimated ${gib(estimate.bytes)}, over the limit of ${gib(max)}${of}; choose a smaller width and height${shape.images > 1 ? ' or fewer images' : ''}`
}
