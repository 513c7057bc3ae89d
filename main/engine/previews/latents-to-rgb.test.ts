import { Tensor } from 'onnxruntime-node'
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import {
  SD1_LATENT_RGB_FACTORS,
  SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS,
  SDXL_LATENT_RGB_FACTORS,
  latentRgbFactorsForFamily,
  modelLatentRgbFactors
} from './latent-rgb-factors'
import { latentsToRGB, roundHalfEven } from './latents-to-rgb'

/** A [B, 4, h, w] latent whose every pixel has the channel values `pixel`. */
function uniform(pixel: number[], h = 2, w = 3, batch = 1): Tensor {
  const plane = h * w
  const data = new Float32Array(batch * pixel.length * plane)
  pixel.forEach((v, c) => data.fill(v, c * plane, (c + 1) * plane))
  return new Tensor('float32', data, [batch, pixel.length, h, w])
}

describe('latentsToRGB', () => {
  it('applies the SD1 table with ComfyUI’s [−1, 1] → bytes mapping at latent resolution', () => {
    const img = latentsToRGB(uniform([1, 0, 0, 0]))
    expect([img.width, img.height, img.data.length]).toEqual([3, 2, 24])
    // (0.3512 + 1) · 127.5 = 172.278 → 172, etc.
    expect(Array.from(img.data.slice(0, 4))).toEqual([172, 157, 169, 255])
    // Clamped at ±1: a huge latent saturates instead of wrapping.
    expect(Array.from(latentsToRGB(uniform([100, 0, 0, 0])).data.slice(0, 3))).toEqual([
      255, 255, 255
    ])
    expect(Array.from(latentsToRGB(uniform([0, 0, 0, 100])).data.slice(0, 3))).toEqual([0, 0, 0])
  })

  it('adds the SDXL bias', () => {
    const img = latentsToRGB(uniform([0, 0, 0, 0]), SDXL_LATENT_RGB_FACTORS)
    // (0.1084 + 1) · 127.5 = 141.321 → 141; (−0.0175 + 1) · 127.5 = 125.27 → 125; 127.36 → 127
    expect(Array.from(img.data.slice(0, 4))).toEqual([141, 125, 127, 255])
  })

  it('maps the diffusers docs integer table directly to bytes, truncating', () => {
    const img = latentsToRGB(uniform([0.5, 0.25, 0, -0.5]), SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS)
    // R = 150 + 30 − 15 + 35 = 200; G = 140 + 30 − 1.25 + 25 = 193.75 → 193; B = 130 + 30 + 2.5 + 17.5 = 180
    expect(Array.from(img.data.slice(0, 4))).toEqual([200, 193, 180, 255])
  })

  it('uses the first image of a batch and the pixel layout NCHW → RGBA', () => {
    const data = new Float32Array(2 * 4 * 1 * 2)
    data[0] = 1 // image 0, channel 0, pixel 0
    data[8] = -1 // image 1 channel 0 pixel 0 (ignored)
    const img = latentsToRGB(new Tensor('float32', data, [2, 4, 1, 2]), SD1_LATENT_RGB_FACTORS)
    expect(Array.from(img.data)).toEqual([172, 157, 169, 255, 128, 128, 128, 255])
  })

  it('prefers model-provided factors and checks channel counts', () => {
    const own = modelLatentRgbFactors(
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [0, 0, 0]
      ],
      [0, 0, -1]
    )
    expect(Array.from(latentsToRGB(uniform([0.5, 0, 1, 0]), own).data.slice(0, 3))).toEqual([
      191, 128, 128
    ])
    expect(() => latentsToRGB(uniform([0, 0, 0]))).toThrow(
      'no built-in preview table for 3-channel latents'
    )
    expect(() => latentsToRGB(uniform([0, 0, 0, 0, 0]), SD1_LATENT_RGB_FACTORS)).toThrow(
      'the ComfyUI SD15 preview table has 4 rows but the latents have 5 channels'
    )
    expect(latentRgbFactorsForFamily('sdxl')).toBe(SDXL_LATENT_RGB_FACTORS)
  })

  it('rounds half to even like torch.round', () => {
    expect([0.5, 1.5, 2.5, 127.5, 128.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, 128, 128, 2])
  })

  it('rounds the preview bytes half to even, as torch.round does, on every tie', () => {
    // A bias of (2k + 1)/255 − 1 makes (v + 1) · 127.5 exactly k + ½ for most k: those pixels
    // must land on the even neighbour, never always up.
    let ties = 0
    for (let k = 0; k < 255; k++) {
      const v = (2 * k + 1) / 255 - 1
      if ((v + 1) * 127.5 !== k + 0.5) continue
      ties++
      const table = modelLatentRgbFactors(
        [
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0]
        ],
        [v, v, v]
      )
      const [r] = latentsToRGB(uniform([0, 0, 0, 0], 1, 1), table).data
      expect(r).toBe(k % 2 === 0 ? k : k + 1)
    }
    expect(ties).toBeGreaterThan(200)
  })

  it('runs in well under a millisecond on a 64×64×4 latent', () => {
    const latents = new Tensor(
      'float32',
      Float32Array.from({ length: 4 * 64 * 64 }, (_, i) => Math.sin(i)),
      [1, 4, 64, 64]
    )
    for (let i = 0; i < 50; i++) latentsToRGB(latents) // warm up the JIT
    // Best of several rounds: the test machine is shared, and one slow round says nothing.
    let best = Infinity
    for (let round = 0; round < 5; round++) {
      const runs = 100
      const start = performance.now()
      for (let i = 0; i < runs; i++) latentsToRGB(latents)
      best = Math.min(best, (performance.now() - start) / runs)
    }
    expect(best).toBeLessThan(1)
  })
})
