import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { applyClassifierFreeGuidance, guidanceScaleEmbedding, rescaleNoiseCfg } from './guidance'

const t = (values: number[], dims: number[]): Tensor =>
  new Tensor('float32', Float32Array.from(values), dims)

describe('classifier-free guidance maths', () => {
  it('combines [uncond; cond] halves as uncond + g·(cond − uncond)', () => {
    const pred = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4])
    const { guided, cond } = applyClassifierFreeGuidance(pred, 7.5)
    expect(guided.dims).toEqual([1, 4])
    expect(Array.from(guided.data as Float32Array)).toEqual([31, 32, 33, 34])
    expect(Array.from(cond.data as Float32Array)).toEqual([5, 6, 7, 8])
  })

  it('rescales with Bessel-corrected standard deviations per sample', () => {
    const guided = t([1, 3, 5, 7, 0, 0, 2, 2], [2, 4])
    const cond = t([0, 1, 2, 3, 1, 1, 1, 3], [2, 4])
    const out = Array.from(rescaleNoiseCfg(guided, cond, 0.7).data as Float32Array)
    const std = (v: number[]): number => {
      const m = v.reduce((a, b) => a + b, 0) / v.length
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1))
    }
    const expected = [
      [1, 3, 5, 7],
      [0, 0, 2, 2]
    ].flatMap((g, r) => {
      const c = r === 0 ? [0, 1, 2, 3] : [1, 1, 1, 3]
      const ratio = std(c) / std(g)
      return g.map((v) => 0.7 * v * ratio + 0.3 * v)
    })
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 5))
  })

  it('embeds the guidance scale for LCM UNets like diffusers', () => {
    const e = guidanceScaleEmbedding(8.5, 6, 2)
    expect(e.dims).toEqual([2, 6])
    const w = 7.5 * 1000
    const freqs = [0, 1, 2].map((k) => Math.exp((-k * Math.log(10000)) / 2))
    const row = [...freqs.map((f) => Math.sin(w * f)), ...freqs.map((f) => Math.cos(w * f))]
    Array.from(e.data as Float32Array)
      .slice(0, 6)
      .forEach((v, i) => expect(v).toBeCloseTo(row[i] as number, 2))
    expect(guidanceScaleEmbedding(2, 5, 1).data[4]).toBe(0) // odd width: zero pad
  })
})
