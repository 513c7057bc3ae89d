import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import { float32Data, floatTensor, formatDims } from '../tensor/float-tensor'

/**
 * diffusers' tiled VAE decode (`AutoencoderKL.tiled_decode`, what `enable_vae_tiling()` turns
 * on): the latents are cut into overlapping tiles of `sample_size / 2^(levels − 1)` latents
 * (64 for SD 1.5: 512 px), each decoded alone, and neighbouring tiles blended linearly over a
 * quarter of a tile before each keeps its top-left `sample_size · 3/4` pixels. The decoder's
 * working memory is then that of one tile whatever the image size. The result differs from a
 * whole decode (GroupNorm and attention see one tile), exactly as it does in diffusers.
 *
 * diffusers decodes every tile, then blends in place in row order; a tile's blend reads only
 * the tile above and the one to its left, both final by then, so blending each row as it is
 * decoded gives the same numbers while keeping two rows of tiles instead of all of them.
 */

/** diffusers' tiling sizes for one VAE. */
export interface VaeTiling {
  /** Tile size in pixels (`tile_sample_min_size`: the VAE config's `sample_size`). */
  tileSampleMinSize: number
  /** Tile size in latents (`tile_latent_min_size`). */
  tileLatentMinSize: number
  /** `tile_overlap_factor`: 0.25. */
  tileOverlapFactor: number
}

/** The tiling diffusers' AutoencoderKL sets up for this VAE config (512 px when it has none). */
export function vaeTilingFor(vae: VaeConfig): VaeTiling {
  const raw = vae.raw['sample_size']
  const first = Array.isArray(raw) ? (raw[0] as unknown) : raw
  const sampleSize = typeof first === 'number' && first > 0 ? first : 512
  return {
    tileSampleMinSize: sampleSize,
    tileLatentMinSize: Math.trunc(sampleSize / vae.scaleFactor),
    tileOverlapFactor: 0.25
  }
}

/** Whether diffusers would decode latents of this height and width in tiles. */
export function usesTiles(tiling: VaeTiling, latentHeight: number, latentWidth: number): boolean {
  return latentHeight > tiling.tileLatentMinSize || latentWidth > tiling.tileLatentMinSize
}

interface Tile {
  data: Float32Array
  /** [batch, channels, height, width] */
  dims: [number, number, number, number]
}

const f32 = Math.fround

function sliceLatents(
  z: Float32Array,
  dims: readonly number[],
  i: number,
  j: number,
  size: number
): Tile {
  const [b, c, h, w] = dims as [number, number, number, number]
  const th = Math.min(size, h - i)
  const tw = Math.min(size, w - j)
  const out = new Float32Array(b * c * th * tw)
  let k = 0
  for (let n = 0; n < b * c; n++) {
    for (let y = 0; y < th; y++) {
      const row = n * h * w + (i + y) * w + j
      out.set(z.subarray(row, row + tw), k)
      k += tw
    }
  }
  return { data: out, dims: [b, c, th, tw] }
}

/** diffusers' `blend_v`: the top rows of `b` fade in from the bottom rows of `a`, in place. */
function blendV(a: Tile, b: Tile, extent: number): void {
  const [n, c, ah, w] = a.dims
  const bh = b.dims[2]
  const e = Math.min(ah, bh, extent)
  for (let y = 0; y < e; y++) {
    const wa = f32(1 - y / e)
    const wb = f32(y / e)
    for (let p = 0; p < n * c; p++) {
      const ra = p * ah * w + (ah - e + y) * w
      const rb = p * bh * w + y * w
      for (let x = 0; x < w; x++) {
        b.data[rb + x] = f32(
          f32((a.data[ra + x] as number) * wa) + f32((b.data[rb + x] as number) * wb)
        )
      }
    }
  }
}

/** diffusers' `blend_h`: the left columns of `b` fade in from the right columns of `a`, in place. */
function blendH(a: Tile, b: Tile, extent: number): void {
  const [n, c, h, aw] = a.dims
  const bw = b.dims[3]
  const e = Math.min(aw, bw, extent)
  for (let x = 0; x < e; x++) {
    const wa = f32(1 - x / e)
    const wb = f32(x / e)
    for (let p = 0; p < n * c; p++) {
      for (let y = 0; y < h; y++) {
        const ia = p * h * aw + y * aw + (aw - e + x)
        const ib = p * h * bw + y * bw + x
        b.data[ib] = f32(f32((a.data[ia] as number) * wa) + f32((b.data[ib] as number) * wb))
      }
    }
  }
}

/**
 * Decodes unscaled latents `z` ([B, C, h, w]) in tiles with `decodeTile` (one decoder run per
 * tile), returning the `[B, 3, H, W]` image tensor diffusers' `tiled_decode` returns.
 */
export async function tiledDecode(
  z: Tensor,
  tiling: VaeTiling,
  decodeTile: (tile: Tensor) => Promise<Tensor>
): Promise<Tensor> {
  const src = float32Data(z, 'latents')
  const dims = z.dims as readonly number[]
  if (dims.length !== 4)
    throw new Error(`tiled decode needs [B, C, h, w] latents, got ${formatDims(dims)}`)
  const [, , h, w] = dims as [number, number, number, number]
  const latentTile = tiling.tileLatentMinSize
  const overlap = Math.trunc(latentTile * (1 - tiling.tileOverlapFactor))
  const blendExtent = Math.trunc(tiling.tileSampleMinSize * tiling.tileOverlapFactor)
  const rowLimit = tiling.tileSampleMinSize - blendExtent
  if (overlap <= 0) throw new Error(`the VAE tile of ${latentTile} latents is too small to tile`)
  const rows: Tile[][] = []
  let previous: Tile[] | null = null
  for (let i = 0; i < h; i += overlap) {
    const row: Tile[] = []
    for (let j = 0; j < w; j += overlap) {
      const t = sliceLatents(src, dims, i, j, latentTile)
      const decoded = await decodeTile(floatTensor(t.data, t.dims))
      const tile: Tile = {
        data: Float32Array.from(float32Data(decoded, 'the decoded tile')),
        dims: decoded.dims as Tile['dims']
      }
      const k = row.length
      if (previous !== null) blendV(previous[k] as Tile, tile, blendExtent)
      if (k > 0) blendH(row[k - 1] as Tile, tile, blendExtent)
      row.push(tile)
    }
    rows.push(row)
    previous = row
    // Only the previous row is read again: earlier rows keep just their cropped part below.
    if (rows.length > 2) rows[rows.length - 3] = crop(rows[rows.length - 3] as Tile[], rowLimit)
  }
  return assemble(rows.map((r) => crop(r, rowLimit)))
}

/** Each tile's top-left `limit` × `limit` pixels (diffusers' `tile[:, :, :row_limit, :row_limit]`). */
function crop(row: Tile[], limit: number): Tile[] {
  return row.map((t) => {
    const [n, c, th, tw] = t.dims
    const ch = Math.min(limit, th)
    const cw = Math.min(limit, tw)
    if (ch === th && cw === tw) return t
    const out = new Float32Array(n * c * ch * cw)
    for (let p = 0; p < n * c; p++) {
      for (let y = 0; y < ch; y++) {
        const from = p * th * tw + y * tw
        out.set(t.data.subarray(from, from + cw), p * ch * cw + y * cw)
      }
    }
    return { data: out, dims: [n, c, ch, cw] }
  })
}

/** `torch.cat` of each row along the width, then of the rows along the height. */
function assemble(rows: Tile[][]): Tensor {
  const first = rows[0]?.[0]
  if (first === undefined) throw new Error('tiled decode produced no tiles')
  const [n, c] = first.dims
  const height = rows.reduce((s, r) => s + (r[0] as Tile).dims[2], 0)
  const width = (rows[0] as Tile[]).reduce((s, t) => s + t.dims[3], 0)
  const out = new Float32Array(n * c * height * width)
  let top = 0
  for (const row of rows) {
    let left = 0
    const th = (row[0] as Tile).dims[2]
    for (const t of row) {
      const tw = t.dims[3]
      for (let p = 0; p < n * c; p++) {
        for (let y = 0; y < th; y++) {
          const from = p * th * tw + y * tw
          out.set(t.data.subarray(from, from + tw), p * height * width + (top + y) * width + left)
        }
      }
      left += tw
    }
    top += th
  }
  return floatTensor(out, [n, c, height, width])
}
