import { describe, expect, it } from 'vitest'
import { downscaleRgba } from './downscale-rgba'

function solid(width: number, height: number, pixel: (x: number, y: number) => number[]) {
  const rgba = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgba.set(pixel(x, y), (y * width + x) * 4)
  }
  return { width, height, rgba }
}

describe('downscaleRgba', () => {
  it('keeps images that already fit', () => {
    const image = solid(64, 64, () => [1, 2, 3, 255])
    expect(downscaleRgba(image, 128)).toBe(image)
  })

  it('averages k×k blocks, so a 512² preview becomes a 128² thumbnail with its colours', () => {
    // Left half green, right half white, at 512×512 as a tiny preview is.
    const image = solid(512, 512, (x) => (x < 256 ? [30, 160, 40, 255] : [240, 240, 240, 255]))
    const thumb = downscaleRgba(image, 128)
    expect([thumb.width, thumb.height, thumb.rgba.length]).toEqual([128, 128, 128 * 128 * 4])
    expect([...thumb.rgba.subarray(0, 4)]).toEqual([30, 160, 40, 255])
    expect([...thumb.rgba.subarray(127 * 4, 128 * 4)]).toEqual([240, 240, 240, 255])
  })

  it('rounds the mean, and handles sides that are not a multiple of the factor', () => {
    const image = solid(3, 1, (x) => [x === 0 ? 0 : 1, 0, 0, 255])
    expect(downscaleRgba(image, 2)).toEqual({
      width: 2,
      height: 1,
      rgba: new Uint8Array([1, 0, 0, 255, 1, 0, 0, 255])
    })
  })
})
