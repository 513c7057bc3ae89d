/**
 * Pillow's `Image.resize(size, Image.LANCZOS)` for 8-bit images, which diffusers' VaeImageProcessor
 * uses to bring an input picture or mask to the run's size: a two-pass separable Lanczos-3 filter
 * whose weights are normalised in double precision, rounded to 22-bit fixed point, and applied with
 * integer sums (Pillow's Resample.c), so the pixels come out exactly as Pillow's.
 */

const PRECISION_BITS = 32 - 8 - 2
const SUPPORT = 3

function sinc(x: number): number {
  if (x === 0) return 1
  const px = x * Math.PI
  return Math.sin(px) / px
}

function lanczos(x: number): number {
  return x >= -SUPPORT && x < SUPPORT ? sinc(x) * sinc(x / SUPPORT) : 0
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis. */
function coefficients(
  inSize: number,
  outSize: number
): { ksize: number; bounds: Int32Array; kk: Int32Array } {
  const scale = inSize / outSize
  const filterscale = Math.max(scale, 1)
  const support = SUPPORT * filterscale
  const ksize = Math.ceil(support) * 2 + 1
  const bounds = new Int32Array(outSize * 2)
  const kk = new Int32Array(outSize * ksize)
  const weights = new Float64Array(ksize)
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale
    const ss = 1 / filterscale
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0)
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin
    let ww = 0
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * ss)
      weights[x] = w
      ww += w
    }
    for (let x = 0; x < ksize; x++) {
      let k = x < xmax ? (weights[x] as number) : 0
      if (x < xmax && ww !== 0) k /= ww
      kk[xx * ksize + x] = Math.trunc(
        k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS)
      )
    }
    bounds[xx * 2] = xmin
    bounds[xx * 2 + 1] = xmax
  }
  return { ksize, bounds, kk }
}

function clip8(sum: number): number {
  const v = Math.floor(sum / (1 << PRECISION_BITS))
  return v < 0 ? 0 : v > 255 ? 255 : v
}

/**
 * Resizes an 8-bit image of `channels` interleaved channels (1 for a mask, 3 for RGB) from
 * `width × height` to `outWidth × outHeight` exactly as Pillow's LANCZOS resize does. The same
 * size returns a copy, as Pillow does.
 */
export function lanczosResize(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number
): Uint8Array {
  if (outWidth === width && outHeight === height) return src.slice()
  const horiz = coefficients(width, outWidth)
  const vert = coefficients(height, outHeight)
  const needHorizontal = outWidth !== width
  const needVertical = outHeight !== height
  // Only the source rows the vertical pass reads go through the horizontal pass (as in Pillow).
  const firstRow = needHorizontal ? (vert.bounds[0] as number) : 0
  const lastRow = needHorizontal
    ? (vert.bounds[outHeight * 2 - 2] as number) + (vert.bounds[outHeight * 2 - 1] as number)
    : height
  let image = src
  const init = 1 << (PRECISION_BITS - 1)
  if (needHorizontal) {
    const rows = lastRow - firstRow
    const tmp = new Uint8Array(outWidth * rows * channels)
    for (let y = 0; y < rows; y++) {
      const rowBase = (y + firstRow) * width * channels
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = horiz.bounds[xx * 2] as number
        const xmax = horiz.bounds[xx * 2 + 1] as number
        const k = xx * horiz.ksize
        for (let c = 0; c < channels; c++) {
          let ss = init
          for (let x = 0; x < xmax; x++) {
            ss += (src[rowBase + (x + xmin) * channels + c] as number) * (horiz.kk[k + x] as number)
          }
          tmp[(y * outWidth + xx) * channels + c] = clip8(ss)
        }
      }
    }
    image = tmp
  }
  const w = needHorizontal ? outWidth : width
  if (!needVertical) return image === src ? src.slice() : image
  const out = new Uint8Array(w * outHeight * channels)
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = (vert.bounds[yy * 2] as number) - firstRow
    const ymax = vert.bounds[yy * 2 + 1] as number
    const k = yy * vert.ksize
    for (let xx = 0; xx < w; xx++) {
      for (let c = 0; c < channels; c++) {
        let ss = init
        for (let y = 0; y < ymax; y++) {
          ss += (image[((y + ymin) * w + xx) * channels + c] as number) * (vert.kk[k + y] as number)
        }
        out[(yy * w + xx) * channels + c] = clip8(ss)
      }
    }
  }
  return out
}
