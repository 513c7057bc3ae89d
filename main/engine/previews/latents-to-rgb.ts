import type { Tensor } from 'onnxruntime-node'
import { float32Data, formatDims } from '../tensor/float-tensor'
import { float32Kernels, signedUnitToByte } from '../tensor/float32-kernels'
import {
  SD1_LATENT_RGB_FACTORS,
  SD3_LATENT_RGB_FACTORS,
  type LatentRgbFactors
} from './latent-rgb-factors'

/** An RGBA picture; `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}

/**
 * A preview of latents without the VAE: the first image of a `[B, C, h, w]` batch (or a single
 * `[C, h, w]` latent) mapped to RGBA at latent resolution through a linear table. Without
 * `factors` the table is chosen by channel count (4 → SD 1.x, 16 → SD3); pass the model's own
 * (e.g. `SDXL_LATENT_RGB_FACTORS`, or fitted factors from `stepwise.json`) for other families.
 * Runs in well under a millisecond for a 64×64 latent.
 */
export function latentsToRGB(latents: Tensor, factors?: LatentRgbFactors): RgbaImage {
  const dims = latents.dims
  if (dims.length !== 4 && dims.length !== 3) {
    throw new Error(
      `latentsToRGB needs latents shaped [B, C, h, w] or [C, h, w], got ${formatDims(dims)}`
    )
  }
  const [channels, height, width] = dims.slice(dims.length - 3) as [number, number, number]
  if (dims.length === 4 && dims[0] === 0) throw new Error('latentsToRGB got an empty batch')
  const table = factors ?? defaultTable(channels)
  if (table.factors.length !== channels) {
    throw new Error(
      `the ${table.name} preview table has ${table.factors.length} rows but the latents have ${channels} channels`
    )
  }
  const src = float32Data(latents, 'latents')
  const plane = width * height
  const signed = table.mapping === 'signed-unit'
  if (channels === 4 && signed) return fourChannels(src, plane, table, width, height)
  const out = new Uint8Array(plane * 4)
  const [br, bg, bb] = table.bias
  for (let p = 0; p < plane; p++) {
    let r = br
    let g = bg
    let b = bb
    for (let c = 0; c < channels; c++) {
      const v = src[c * plane + p] as number
      const f = table.factors[c] as Rgb
      r += v * f[0]
      g += v * f[1]
      b += v * f[2]
    }
    const o = p * 4
    out[o] = signed ? signedUnitToByte(r) : clampTruncateByte(r)
    out[o + 1] = signed ? signedUnitToByte(g) : clampTruncateByte(g)
    out[o + 2] = signed ? signedUnitToByte(b) : clampTruncateByte(b)
    out[o + 3] = 255
  }
  return { width, height, data: out }
}

type Rgb = readonly [number, number, number]

/** The common case, 4 channels and ComfyUI's mapping, in the SIMD kernel (`previewSignedUnit`). */
function fourChannels(
  src: Float32Array,
  plane: number,
  table: LatentRgbFactors,
  width: number,
  height: number
): RgbaImage {
  const data = float32Kernels.previewSignedUnit(src, plane, table.factors, table.bias)
  return { width, height, data }
}

function defaultTable(channels: number): LatentRgbFactors {
  if (channels === 4) return SD1_LATENT_RGB_FACTORS
  if (channels === 16) return SD3_LATENT_RGB_FACTORS
  throw new Error(`no built-in preview table for ${channels}-channel latents; pass one`)
}

/** The diffusers docs' mapping: clamp to [0, 255], truncate (`.byte()`). */
function clampTruncateByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v)
}

/** Round to nearest, ties to even, like `torch.round` and NumPy's `round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r
}
