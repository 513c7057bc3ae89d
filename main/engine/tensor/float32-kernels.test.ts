import { describe, expect, it } from 'vitest'
import { anyFloat32s } from '../testing/float32-bits'
import { compileSimdKernels, float32Kernels, scalarKernels } from './float32-kernels'

const f32 = Math.fround

/** Latent-like values: what the kernels see in a run. */
function latentLike(count: number, seed: number): Float32Array {
  return anyFloat32s(count, seed).map((v) => f32(Math.sin(Number.isFinite(v) ? v : 1) * 3))
}

function sameBits(a: Float32Array, b: Float32Array): number {
  let mismatches = a.length === b.length ? 0 : Infinity
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) mismatches++
  return mismatches
}

const simd = compileSimdKernels()

describe('float32 kernels', () => {
  it('compile to WebAssembly SIMD on this runtime, and the engine uses them', () => {
    expect(simd).not.toBeNull()
    expect(float32Kernels).not.toBe(scalarKernels)
  })

  // Lengths that are and are not multiples of the four lanes, and one that makes memory grow.
  const lengths = [1, 3, 4, 7, 16 * 16 * 4, 4 * 64 * 64 + 2, 3 * 128 * 128 * 4]

  it.each(lengths)('guide as the scalar arithmetic does, bit for bit (%i values)', (n) => {
    for (const make of [anyFloat32s, latentLike]) {
      const data = make(2 * n, n)
      const expected = data.slice()
      const actual = data.slice()
      scalarKernels.guideHalvesInPlace(expected, 7.5)
      simd?.guideHalvesInPlace(actual, 7.5)
      expect(sameBits(actual, expected)).toBe(0)
      // The conditional half is the model's output and stays as it was.
      expect(sameBits(actual.subarray(n), data.subarray(n))).toBe(0)
    }
  })

  it.each(lengths)('divide as the scalar arithmetic does, bit for bit (%i values)', (n) => {
    for (const divisor of [f32(Math.sqrt(14.6 ** 2 + 1)), 0, -0, Infinity, f32(1e-40), 3]) {
      const src = anyFloat32s(n, n + 1)
      const out = simd?.divide(src, divisor) ?? new Float32Array()
      expect(sameBits(out, scalarKernels.divide(src, divisor))).toBe(0)
    }
  })

  it.each(lengths)("take Euler's epsilon step as the scalar arithmetic does (%i values)", (n) => {
    const m = latentLike(n, n + 2)
    const s = latentLike(n, n + 3)
    for (const [sigmaHat, dt] of [
      [f32(14.6146), f32(-1.2)],
      [f32(0.0292), f32(-0.0292)],
      [f32(3), 0]
    ] as const) {
      const expected = scalarKernels.eulerEpsilon(m, s, sigmaHat, dt)
      const actual = simd?.eulerEpsilon(m, s, sigmaHat, dt)
      expect(sameBits(actual?.x0 ?? new Float32Array(), expected.x0)).toBe(0)
      expect(sameBits(actual?.prev ?? new Float32Array(), expected.prev)).toBe(0)
    }
    const wild = scalarKernels.eulerEpsilon(anyFloat32s(n, 5), anyFloat32s(n, 6), f32(2.5), f32(-1))
    const wildSimd = simd?.eulerEpsilon(anyFloat32s(n, 5), anyFloat32s(n, 6), f32(2.5), f32(-1))
    expect(sameBits(wildSimd?.prev ?? new Float32Array(), wild.prev)).toBe(0)
  })

  it.each(lengths)(
    "guide and take Euler's step in one pass, the same bits as one after the other (%i values)",
    (n) => {
      for (const [make, g] of [
        [latentLike, 7.5],
        [anyFloat32s, 7.5],
        [latentLike, 0.3]
      ] as const) {
        const m = make(2 * n, n + 7)
        const s = make(n, n + 8)
        const sigmaHat = f32(14.6146)
        const dt = f32(-1.2)
        const guided = m.slice()
        scalarKernels.guideHalvesInPlace(guided, g)
        const twoPasses = scalarKernels.eulerEpsilon(guided.subarray(0, n), s, sigmaHat, dt)
        for (const kernels of [scalarKernels, simd]) {
          const fused = kernels?.eulerGuidedEpsilon(m, s, g, sigmaHat, dt)
          expect(sameBits(fused?.x0 ?? new Float32Array(), twoPasses.x0)).toBe(0)
          expect(sameBits(fused?.prev ?? new Float32Array(), twoPasses.prev)).toBe(0)
        }
      }
    }
  )

  it.each(lengths)("take DPM-Solver++'s steps as the scalar arithmetic does (%i values)", (n) => {
    for (const make of [latentLike, anyFloat32s]) {
      const [m, s, x0, older] = [0, 1, 2, 3].map((k) => make(n, n + 20 + k)) as [
        Float32Array,
        Float32Array,
        Float32Array,
        Float32Array
      ]
      const [sigma, alpha] = [f32(14.6146), f32(0.0683)]
      const scalarX0 = scalarKernels.dpmDataPrediction(m, s, sigma, alpha)
      expect(
        sameBits(simd?.dpmDataPrediction(m, s, sigma, alpha) ?? new Float32Array(), scalarX0)
      ).toBe(0)
      const [a, b] = [f32(0.72), f32(-0.31)]
      expect(
        sameBits(
          simd?.dpmFirstOrder(s, x0, a, b) ?? new Float32Array(),
          scalarKernels.dpmFirstOrder(s, x0, a, b)
        )
      ).toBe(0)
      const c = { a, b, c: f32(0.5 * b), invR0: f32(1 / f32(0.83)) }
      expect(
        sameBits(
          simd?.dpmSecondOrderMidpoint(s, x0, older, c) ?? new Float32Array(),
          scalarKernels.dpmSecondOrderMidpoint(s, x0, older, c)
        )
      ).toBe(0)
    }
  })

  it.each(lengths)("take DDIM's epsilon step as the scalar arithmetic does (%i values)", (n) => {
    const m = latentLike(n, n + 4)
    const s = latentLike(n, n + 5)
    const coefficients = [
      {
        sqrtBetaT: f32(0.9977),
        sqrtAlphaT: f32(0.0683),
        sqrtAlphaPrev: f32(0.1),
        direction: f32(0.99)
      },
      { sqrtBetaT: f32(0.03), sqrtAlphaT: f32(0.9995), sqrtAlphaPrev: 1, direction: 0 }
    ]
    for (const c of coefficients) {
      const expected = scalarKernels.ddimEpsilon(m, s, c)
      const actual = simd?.ddimEpsilon(m, s, c)
      expect(sameBits(actual?.x0 ?? new Float32Array(), expected.x0)).toBe(0)
      expect(sameBits(actual?.prev ?? new Float32Array(), expected.prev)).toBe(0)
    }
  })

  const previewSizes: [number, number][] = [
    [1, 1],
    [3, 5],
    [8, 8],
    [64, 64],
    [96, 128]
  ]

  it.each(previewSizes)('preview %i×%i latents as the scalar arithmetic does', (h, w) => {
    const plane = h * w
    const tables = [
      {
        factors: [
          [0.3512, 0.2297, 0.3227],
          [0.325, 0.4974, 0.235],
          [-0.2829, 0.1762, 0.2721],
          [-0.212, -0.2616, -0.7177]
        ],
        bias: [0, 0, 0]
      },
      {
        factors: [
          [1.5, -2, 0.25],
          [0, 1, 0],
          [0.1, 0.2, 0.3],
          [-1, 1, -1]
        ],
        bias: [0.1084, -0.0175, -0.0011]
      }
    ]
    for (const { factors, bias } of tables) {
      for (const planes of [latentLike(4 * plane, plane), anyFloat32s(4 * plane, plane + 9)]) {
        const expected = scalarKernels.previewSignedUnit(planes, plane, factors, bias)
        const actual = simd?.previewSignedUnit(planes, plane, factors, bias)
        expect(actual?.length).toBe(plane * 4)
        expect(Buffer.from(actual ?? []).equals(Buffer.from(expected))).toBe(true)
      }
    }
  })

  it('rounds preview ties to even in the SIMD lanes too', () => {
    // Biases that put (v + 1) · 127.5 exactly on k + ½ (see latents-to-rgb.test.ts).
    const ties: number[] = []
    for (let k = 0; k < 255; k++) {
      const v = (2 * k + 1) / 255 - 1
      if ((v + 1) * 127.5 === k + 0.5) ties.push(k)
    }
    const zeros = [0, 0, 0]
    for (const k of ties.slice(0, 40)) {
      const v = (2 * k + 1) / 255 - 1
      const rgba = simd?.previewSignedUnit(
        new Float32Array(4),
        1,
        [zeros, zeros, zeros, zeros],
        [v, v, v]
      )
      expect(Array.from(rgba ?? [])).toEqual([...Array(3).fill(k % 2 === 0 ? k : k + 1), 255])
    }
  })

  it('returns arrays of their own, never views of the kernels’ memory', () => {
    const a = simd?.divide(new Float32Array([1, 2, 3]), 2) as Float32Array
    simd?.divide(new Float32Array([5, 6, 7]), 1)
    expect(Array.from(a)).toEqual([0.5, 1, 1.5])
    expect(a.byteOffset).toBe(0)
    expect(a.buffer.byteLength).toBe(12)
  })
})
