import os from 'node:os'
import type { MemoryProfile } from '../models/memory-profile'
import type { ModelFolder } from '../models/model-folder'
import type { GraphPassReport } from '../models/graph-passes'

/**
 * How much memory one run needs, estimated from the model's files and the image size *before*
 * anything is allocated, so a size that cannot fit is refused with a message instead of the
 * inference process swapping or being killed part-way.
 *
 * The model, fitted to peak RSS measured on a full-size SD 1.5 export (onnxruntime-node's CPU
 * provider, memory pattern off; bench/results/*-real-scale.json, checked by
 * memory-estimate.test.ts within ±25 % at 512², 640² and 768², batch 1 and 2):
 *
 * - **Weights**: every graph's files. A float16 graph on the CPU costs more than its file: the
 *   provider keeps float32 copies of what it computes in float32 (measured 3.98 GiB resident for a
 *   1.72 GB float16 UNet, 3.37 GiB for the 3.44 GB float32 one).
 * - **UNet working memory**, per UNet row (2 per image with classifier-free guidance): activations
 *   that grow with the latent tokens (skip connections of every level and a few working tensors,
 *   {@link UNET_ACTIVATION_FACTOR} × their float32 size), plus self-attention's token × token
 *   scores at the first attention level when the attention runs as exported
 *   ({@link ATTENTION_BYTES_PER_TOKEN_PAIR}: 103 bytes per pair per row measured on SD 1.5's
 *   8-head UNet); the fused graph (MultiHeadAttention, see graph-passes.md) never holds the full
 *   score matrix, so its cost is linear in the tokens and inside the activation term.
 * - **VAE decode**, per image: convolutions at full resolution (im2col buffers of the first
 *   level's channels, {@link VAE_BYTES_PER_CHANNEL_PIXEL}) and the mid block's single-head
 *   attention over the latent tokens.
 * - The UNet session keeps its arena (its working memory) while the VAE decodes, so the peak is
 *   the sum, not the larger of the two.
 *
 * It is an estimate for refusing what cannot fit, not a promise that what passes will.
 */

/** Bytes per UNet row per (token, token) pair of self-attention as exported; see above. */
export const ATTENTION_BYTES_PER_TOKEN_PAIR = 103

/** UNet activations alive at once, as a multiple of the skip + working tensors' float32 size. */
export const UNET_ACTIVATION_FACTOR = 3

/** VAE decoder bytes per output pixel per channel of its first level. */
export const VAE_BYTES_PER_CHANNEL_PIXEL = 40

/** Resident bytes per file byte of a float16 graph on the CPU (float32 copies kept). */
export const FLOAT16_ON_CPU_WEIGHT_FACTOR = 2.3

/** Share of physical memory a run may plan to use; the OS and the app need the rest. */
export const DEFAULT_MEMORY_SHARE = 0.75

/** The run whose memory is estimated. */
export interface RunShape {
  height: number
  width: number
  /** UNet rows per step: images × 2 with classifier-free guidance, × 1 without. */
  unetRows: number
  /** Images decoded by the VAE. */
  images: number
  /**
   * The low-memory mode: the UNet runs at most this many rows per call, so its working memory is
   * one call's. Absent: all rows in one call.
   */
  unetRowsPerCall?: number
}

/** How the model's graphs will run, where it changes their memory. */
export interface RunGraphs {
  /** The UNet's self-attention is fused (the CPU default for float32 UNets); else as exported. */
  attentionFused: boolean
  /** The execution provider the weights live on: only the CPU keeps float32 copies. */
  provider?: 'cpu' | 'gpu'
  /**
   * The VAE decodes in tiles of this many pixels (`tile_sample_min_size`), as diffusers'
   * `enable_vae_tiling`: its working memory is one tile's.
   */
  vaeTileSize?: number
}

/** An estimate and what it is made of, in bytes. */
export interface MemoryEstimate {
  bytes: number
  weightsBytes: number
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

/** Resident bytes of the weights of every graph in `profile`. */
export function weightsBytes(profile: MemoryProfile, graphs: RunGraphs): number {
  let total = 0
  for (const g of Object.values(profile.graphs)) {
    if (g === undefined) continue
    const onCpu = (graphs.provider ?? 'cpu') === 'cpu'
    total += g.float16 && onCpu ? g.bytes * FLOAT16_ON_CPU_WEIGHT_FACTOR : g.bytes
  }
  return total
}

/**
 * Estimates the peak memory of one run of `folder`'s pipeline at `shape`: weights (from
 * `profile`), the UNet's working memory and the VAE decode's.
 */
export function estimateRunMemory(
  folder: Pick<ModelFolder, 'unetConfig' | 'vaeConfig'>,
  shape: RunShape,
  profile: MemoryProfile,
  graphs: RunGraphs
): MemoryEstimate {
  const f = folder.vaeConfig.scaleFactor
  const latentH = Math.floor(shape.height / f)
  const latentW = Math.floor(shape.width / f)
  const tokens = latentH * latentW
  const unetRaw = folder.unetConfig.raw
  const attentionTokens = tokens / 4 ** firstAttentionLevel(unetRaw)
  const channels = numbers(unetRaw['block_out_channels']) ?? [320, 640, 1280, 1280]
  const layers = typeof unetRaw['layers_per_block'] === 'number' ? unetRaw['layers_per_block'] : 2
  // Skip connections of every level stay alive until the up path uses them, plus a few working
  // tensors at full latent resolution.
  const skips = channels.reduce((sum, c, i) => sum + (layers + 1) * c * (tokens / 4 ** i), 0)
  const working = 4 * (channels[0] as number) * tokens
  const activations = UNET_ACTIVATION_FACTOR * FLOAT32 * (skips + working)
  const attention = graphs.attentionFused
    ? 0
    : ATTENTION_BYTES_PER_TOKEN_PAIR * attentionTokens ** 2
  const rowsAtOnce = Math.min(shape.unetRows, shape.unetRowsPerCall ?? shape.unetRows)
  const unetBytes = rowsAtOnce * (activations + attention)
  // VAE decoder: convolutions up to full size, and one single-head attention over the latent
  // tokens in its mid block (scores and their softmax).
  const vaeChannels = numbers(folder.vaeConfig.raw['block_out_channels']) ?? [128, 256, 512, 512]
  const tile = graphs.vaeTileSize
  const pixels =
    tile === undefined
      ? shape.height * shape.width
      : Math.min(shape.height, tile) * Math.min(shape.width, tile)
  const vaeTokens = pixels / f ** 2
  // Tiled, the whole image's float32 pixels are held besides one tile's working memory.
  const output = tile === undefined ? 0 : 3 * FLOAT32 * shape.height * shape.width
  const vaeBytes =
    shape.images *
    (VAE_BYTES_PER_CHANNEL_PIXEL * (vaeChannels[0] as number) * pixels +
      2 * FLOAT32 * vaeTokens ** 2 +
      output)
  const weights = weightsBytes(profile, graphs)
  return { bytes: weights + unetBytes + vaeBytes, weightsBytes: weights, unetBytes, vaeBytes }
}

/** The default limit: {@link DEFAULT_MEMORY_SHARE} of this machine's physical memory. */
export function defaultMemoryLimit(): number {
  return Math.floor(os.totalmem() * DEFAULT_MEMORY_SHARE)
}

/** Bytes in GiB for messages: two decimals under 1 GiB (small models and limits), one under 10. */
export function gib(bytes: number): string {
  const value = bytes / 2 ** 30
  return `${value < 1 ? value.toFixed(2) : value < 10 ? value.toFixed(1) : value.toFixed(0)} GiB`
}

function partsOf(estimate: MemoryEstimate): string {
  return `weights ${gib(estimate.weightsBytes)}, UNet ${gib(estimate.unetBytes)}, VAE decode ${gib(estimate.vaeBytes)}`
}

/**
 * The refusal for a run estimated over `limit`, naming the size, the estimate (and what it is
 * made of) and the limit; null when it fits. `lowest`, when the low-memory mode was tried too:
 * its estimate, said as well (`mode` names what it does).
 */
export function memoryRefusal(
  shape: RunShape,
  estimate: MemoryEstimate,
  limit?: number,
  lowest?: { estimate: MemoryEstimate; mode: string }
): string | null {
  const max = limit ?? defaultMemoryLimit()
  if (estimate.bytes <= max) return null
  const even =
    lowest === undefined
      ? ''
      : `; even the low-memory mode (${lowest.mode}) needs an estimated ${gib(lowest.estimate.bytes)} (${partsOf(lowest.estimate)})`
  const rows = `${shape.unetRows} UNet row${shape.unetRows === 1 ? '' : 's'}`
  const of =
    limit === undefined
      ? ` (${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's ${gib(os.totalmem())})`
      : ''
  return `${shape.width}×${shape.height} is too large for memory: a run with ${rows} needs an estimated ${gib(estimate.bytes)} (${partsOf(estimate)}), over the limit of ${gib(max)}${of}${even}; choose a smaller width and height${shape.images > 1 ? ' or fewer images' : ''}`
}

/**
 * How the graphs will run, before they are loaded: on the CPU a float32 UNet's attention is
 * fused unless `fuseAttention` is false (the pass falls back to the exported graph only when
 * its exactness check fails, which `reports` from an earlier load then say). A GPU provider
 * runs the exported graph and keeps no float32 copies.
 */
export function expectedRunGraphs(
  profile: MemoryProfile,
  options: { gpu?: boolean; fuseAttention?: boolean; reports?: readonly GraphPassReport[] } = {}
): RunGraphs {
  const gpu = options.gpu === true
  const loaded = options.reports?.find(
    (r) => r.pass === 'attention-fusion' && r.component === 'unet'
  )
  const attentionFused =
    loaded !== undefined
      ? loaded.applied
      : !gpu && options.fuseAttention !== false && profile.graphs.unet?.float16 !== true
  return { attentionFused, provider: gpu ? 'gpu' : 'cpu' }
}
