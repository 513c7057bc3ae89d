import { describe, expect, it } from 'vitest'
import { anyFloat32s } from '../testing/float32-bits'
import { float32Divisor } from './tensor-ops'

const f32 = Math.fround

describe('float32Divisor', () => {
  it('divides by multiplying, bit for bit, for float32 operands of every kind', () => {
    const xs = anyFloat32s(400_000, 1)
    const ds = anyFloat32s(400_000, 2)
    let mismatches = 0
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number
      const d = ds[i] as number
      if (!Object.is(f32(x * float32Divisor(d)), f32(x / d))) mismatches++
    }
    expect(mismatches).toBe(0)
  })

  it('matches where divisions are hardest: close significands, zeros, infinities, NaN', () => {
    const near = anyFloat32s(200_000, 3).map((v) => f32(1 + Math.abs(v % 1)))
    const special = [
      0,
      -0,
      Infinity,
      -Infinity,
      Number.NaN,
      1,
      -1,
      2 ** -149,
      3.4028234663852886e38
    ]
    const cases: [number, number][] = []
    for (let i = 0; i + 1 < near.length; i += 2)
      cases.push([near[i] as number, near[i + 1] as number])
    for (const a of special) for (const b of special) cases.push([a, b])
    const wrong = cases.filter(([x, d]) => !Object.is(f32(x * float32Divisor(d)), f32(x / d)))
    expect(wrong).toEqual([])
  })
})
