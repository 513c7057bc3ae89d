import type { RgbaImage } from '../contract'

/**
 * A smaller copy of an RGBA image for a thumbnail: each output pixel is the mean of a k×k block
 * (k the smallest whole factor that brings both sides within `maxSize`), rounded. Full-size
 * previews (tiny and VAE: 512×512, 1 MiB) would otherwise give every tile of the step strip a
 * 512×512 canvas to paint and composite; a box mean keeps the colours a thumbnail shows. Images
 * already within `maxSize` are returned as they are.
 */
export function downscaleRgba(image: RgbaImage, maxSize: number): RgbaImage {
  const k = Math.ceil(Math.max(image.width, image.height) / maxSize)
  if (k <= 1) return image
  const width = Math.ceil(image.width / k)
  const height = Math.ceil(image.height / k)
  const src = image.rgba
  const out = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    const y0 = y * k
    const y1 = Math.min(y0 + k, image.height)
    for (let x = 0; x < width; x++) {
      const x0 = x * k
      const x1 = Math.min(x0 + k, image.width)
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let yy = y0; yy < y1; yy++) {
        let i = (yy * image.width + x0) * 4
        for (let xx = x0; xx < x1; xx++, i += 4) {
          r += src[i] as number
          g += src[i + 1] as number
          b += src[i + 2] as number
          a += src[i + 3] as number
        }
      }
      const n = (y1 - y0) * (x1 - x0)
      const o = (y * width + x) * 4
      out[o] = Math.round(r / n)
      out[o + 1] = Math.round(g / n)
      out[o + 2] = Math.round(b / n)
      out[o + 3] = Math.round(a / n)
    }
  }
  return { width, height, rgba: out }
}
