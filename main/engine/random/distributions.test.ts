import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { rand, randn } from './distributions'
import { Generator } from './generator'
import { fixtureSeed, loadTorchRandomReference } from './torch-reference'
import type { TorchTensorSummary } from './torch-reference'

const ref = loadTorchRandomReference()
const RANDN_TOLERANCE = 2e-6

function data(t: { data: unknown }): Float32Array {
  expect(t.data).toBeInstanceOf(Float32Array)
  return t.data as Float32Array
}

function expectBitExact(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length)
  expect(Array.from(actual)).toEqual(expected.map((v) => Math.fround(v)))
}

function maxAbsDiff(actual: Float32Array, expected: number[]): number {
  expect(actual.length).toBe(expected.length)
  let worst = 0
  expected.forEach((v, i) => {
    worst = Math.max(worst, Math.abs((actual[i] as number) - Math.fround(v)))
  })
  return worst
}

/** Bit-exact below 16 values (torch's per-value double path), within tolerance from 16 on. */
function expectTorchNormals(actual: Float32Array, expected: number[]): void {
  if (expected.length < 16) expectBitExact(actual, expected)
  else expect(maxAbsDiff(actual, expected)).toBeLessThanOrEqual(RANDN_TOLERANCE)
}

function expectSummary(actual: Float32Array, summary: TorchTensorSummary, exact: boolean): void {
  expect(actual.length).toBe(summary.numel)
  const picked = summary.indices.map((i) => actual[i] as number)
  if (exact) {
    expect(picked).toEqual(summary.values.map((v) => Math.fround(v)))
    const bytes = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(summary.sha256)
  } else {
    picked.forEach((v, k) => {
      expect(Math.abs(v - Math.fround(summary.values[k] as number))).toBeLessThanOrEqual(
        RANDN_TOLERANCE
      )
    })
  }
  let sum = 0
  let sumOfSquares = 0
  for (const v of actual) {
    sum += v
    sumOfSquares += v * v
  }
  const slack = exact ? 1e-9 : RANDN_TOLERANCE * actual.length
  expect(Math.abs(sum - summary.sum)).toBeLessThanOrEqual(slack)
  expect(Math.abs(sumOfSquares - summary.sumOfSquares)).toBeLessThanOrEqual(slack * 10)
}

describe(`randn / rand against torch ${ref.torchVersion}`, () => {
  for (const entry of ref.seeds) {
    const seed = fixtureSeed(entry.seed)
    describe(`seed ${String(entry.seed)}`, () => {
      it('randn matches torch.randn for every size', () => {
        for (const [n, expected] of Object.entries(entry.randn)) {
          const g = new Generator().manualSeed(seed)
          expectTorchNormals(data(randn([Number(n)], { generator: g })), expected)
        }
      })

      it('rand matches torch.rand bit for bit', () => {
        for (const [n, expected] of Object.entries(entry.rand)) {
          const g = new Generator().manualSeed(seed)
          expectBitExact(data(rand([Number(n)], { generator: g })), expected)
        }
      })

      it('a 4x64x64 randn matches torch within tolerance', () => {
        const g = new Generator().manualSeed(seed)
        expectSummary(data(randn([4, 64, 64], { generator: g })), entry.randnLarge, false)
      })

      it('a 4x64x64 rand matches torch bit for bit (SHA-256 of the bytes)', () => {
        const g = new Generator().manualSeed(seed)
        expectSummary(data(rand([4, 64, 64], { generator: g })), entry.randLarge, true)
      })
    })
  }

  it('an unseeded Generator draws what a fresh torch.Generator() draws', () => {
    expectTorchNormals(data(randn([20], { generator: new Generator() })), ref.unseeded.randn)
  })

  it('interleaved rand/randn calls continue the stream and the cached normal like torch', () => {
    for (const run of ref.interleaved) {
      const g = new Generator().manualSeed(fixtureSeed(run.seed))
      for (const call of run.calls) {
        const fn = call.op === 'randn' ? randn : rand
        const t = fn(call.dims, { generator: g })
        expect(t.dims).toEqual(call.dims)
        if (call.op === 'rand') expectBitExact(data(t), call.values)
        else expectTorchNormals(data(t), call.values)
      }
    }
  })

  it('repeated latent-shaped draws on one generator match torch call after call', () => {
    const g = new Generator().manualSeed(ref.repeated.seed)
    for (const expected of ref.repeated.calls) {
      expectTorchNormals(data(randn(ref.repeated.dims, { generator: g })), expected)
    }
  })
})

describe('randn / rand shapes and errors', () => {
  it('returns float32 tensors with the requested dims, including empty ones', () => {
    const t = randn([2, 0, 3], { generator: new Generator() })
    expect(t.type).toBe('float32')
    expect(t.dims).toEqual([2, 0, 3])
    expect(data(t).length).toBe(0)
    expect(rand([], { generator: new Generator() }).dims).toEqual([])
    expect(data(rand([], { generator: new Generator() })).length).toBe(1)
  })

  it('rejects negative or fractional dims with a message naming them', () => {
    expect(() => randn([2, -1])).toThrow(
      /randn: dims must be non-negative integers \(got \[2, -1\]\)/
    )
    expect(() => rand([1.5])).toThrow(/rand: dims must be non-negative integers/)
  })

  it('draws from the default generator when none is given', () => {
    const a = data(randn([8]))
    expect(a.length).toBe(8)
    expect(a.every((v) => Number.isFinite(v))).toBe(true)
  })
})
