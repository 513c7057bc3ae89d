import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { decodePng } from '../output/png'
import { float32Data } from '../tensor/float-tensor'
import { greyOf, nearestResize, preprocessImage, preprocessMask } from './image-processing'
import { lanczosResize } from './lanczos-resize'

/**
 * diffusers' image and mask preprocessing against Pillow and diffusers' VaeImageProcessor
 * (recorded by tools/reference/make_image_pipeline_reference.py).
 */
interface ResizeCase {
  name: string
  mode?: 'RGB' | 'L'
  width: number
  height: number
  sha256?: string
  first?: number[]
  source?: string
  ones?: number
  rows?: string[]
  shape?: number[]
  sum?: number
}

const FIXTURES = path.join(__dirname, 'fixtures')
const reference = JSON.parse(
  readFileSync(path.join(FIXTURES, 'image-pipeline-reference.json'), 'utf8')
) as { image: string; mask: string; resize: ResizeCase[] }
const png = (name: string) => decodePng(readFileSync(path.join(FIXTURES, name)))
const image = png(reference.image)
const mask = png(reference.mask)
const byName = (name: string) => reference.resize.find((c) => c.name === name) as ResizeCase

function rgbOf(data: Uint8Array): Uint8Array {
  return Uint8Array.from(
    { length: (data.length / 4) * 3 },
    (_, i) => data[Math.floor(i / 3) * 4 + (i % 3)] as number
  )
}

describe("lanczosResize is Pillow's LANCZOS resize", () => {
  for (const name of ['rgb-down', 'rgb-up', 'rgb-width-only', 'grey-down', 'grey-up']) {
    it(name, () => {
      const c = byName(name)
      const grey = c.mode === 'L'
      const src = grey ? greyOf(mask) : rgbOf(image.data)
      const out = lanczosResize(src, 64, 64, grey ? 1 : 3, c.width, c.height)
      expect(Array.from(out.slice(0, 24))).toEqual(c.first)
      expect(createHash('sha256').update(out).digest('hex')).toBe(c.sha256)
    })
  }

  it('returns a copy at the same size', () => {
    const src = Uint8Array.of(1, 2, 3, 4)
    const out = lanczosResize(src, 2, 2, 1, 2, 2)
    expect(Array.from(out)).toEqual([1, 2, 3, 4])
    expect(out).not.toBe(src)
  })
})

describe("diffusers' VaeImageProcessor", () => {
  it('mask: grey conversion of an RGB mask, Lanczos resize, binarised at 0.5', () => {
    const c = byName('mask-processor')
    const m = preprocessMask(png(c.source as string), { height: c.height, width: c.width }, 8)
    expect(m.dims).toEqual([1, 1, c.height, c.width])
    const data = float32Data(m)
    const rows = Array.from({ length: c.height }, (_, y) =>
      Array.from(data.slice(y * c.width, (y + 1) * c.width), (v) => (v >= 0.5 ? '1' : '0')).join('')
    )
    expect(rows).toEqual(c.rows)
    expect(data.reduce((a, b) => a + b, 0)).toBe(c.ones)
  })

  it('image: an odd size is rounded down to a multiple of 8 and normalised to [-1, 1]', () => {
    const c = byName('image-processor')
    const x = preprocessImage(png(c.source as string), {}, 8)
    expect(x.dims).toEqual(c.shape)
    const data = float32Data(x)
    expect(Array.from(data.slice(0, 12))).toEqual(c.first?.map(Math.fround))
    expect(Math.abs(data.reduce((a, b) => a + b, 0) - (c.sum as number))).toBeLessThan(1e-3)
  })

  it('a tensor in [0, 1] is normalised; one with negative values is taken as [-1, 1]', () => {
    const unit = new Tensor('float32', Float32Array.of(0, 0.5, 1, 0.25), [1, 1, 2, 2])
    const three = new Tensor('float32', new Float32Array(3 * 64).fill(0.5), [1, 3, 8, 8])
    expect(Array.from(float32Data(preprocessImage(three, {}, 8))).every((v) => v === 0)).toBe(true)
    const signed = new Tensor('float32', new Float32Array(3 * 64).fill(-0.5), [1, 3, 8, 8])
    expect(preprocessImage(signed, {}, 8)).toBe(signed)
    expect(() => preprocessImage(unit, {}, 8)).toThrow(/1 channels/)
  })

  it('a tensor of another size than the run is refused, naming both sizes', () => {
    const t = new Tensor('float32', new Float32Array(3 * 64), [1, 3, 8, 8])
    expect(() => preprocessImage(t, { height: 16, width: 16 }, 8)).toThrow(
      /8×8 tensor but the run is 16×16/
    )
  })

  it("the latent-size mask is torch's nearest interpolation", () => {
    const m = new Tensor(
      'float32',
      Float32Array.from({ length: 16 }, (_, i) => i),
      [1, 1, 4, 4]
    )
    expect(Array.from(float32Data(nearestResize(m, 2, 2)))).toEqual([0, 2, 8, 10])
    expect(Array.from(float32Data(nearestResize(m, 3, 2)))).toEqual([0, 2, 4, 6, 8, 10])
  })
})
