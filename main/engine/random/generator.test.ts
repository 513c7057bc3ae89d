import { describe, expect, it } from 'vitest'
import { randn } from './distributions'
import { DEFAULT_SEED, Generator, getDefaultGenerator } from './generator'
import { fixtureSeed, loadTorchRandomReference } from './torch-reference'

const ref = loadTorchRandomReference()

describe('Generator', () => {
  it('reports the seed like torch initial_seed(), negative seeds wrapped to uint64', () => {
    for (const entry of ref.seeds) {
      const g = new Generator().manualSeed(fixtureSeed(entry.seed))
      expect(BigInt(g.initialSeed())).toBe(BigInt(entry.initialSeed))
    }
    expect(new Generator().manualSeed(42).initialSeed()).toBe(42)
    expect(new Generator().manualSeed(2n ** 63n + 5n).initialSeed()).toBe(2n ** 63n + 5n)
    expect(new Generator().initialSeed()).toBe(Number(DEFAULT_SEED))
    expect(ref.defaultSeed).toBe(Number(DEFAULT_SEED))
  })

  it('manualSeed returns the generator and resets the cached normal', () => {
    const g = new Generator()
    expect(g.manualSeed(3)).toBe(g)
    const first = Array.from(randn([3], { generator: g }).data as Float32Array)
    // Three draws leave one Box-Muller value cached; re-seeding must drop it.
    g.manualSeed(3)
    expect(Array.from(randn([3], { generator: g }).data as Float32Array)).toEqual(first)
  })

  it('treats a number seed and the same bigint seed alike', () => {
    const a = randn([5], { generator: new Generator().manualSeed(123) }).data
    const b = randn([5], { generator: new Generator().manualSeed(123n) }).data
    expect(Array.from(a as Float32Array)).toEqual(Array.from(b as Float32Array))
  })

  it('rejects seeds torch rejects, naming the value and the range', () => {
    expect(() => new Generator().manualSeed(1.5)).toThrow(/seed must be an integer \(got 1.5\)/)
    expect(() => new Generator().manualSeed(Number.NaN)).toThrow(/seed must be an integer/)
    expect(() => new Generator().manualSeed(2n ** 64n)).toThrow(
      /seed must be from -2\^63 to 2\^64 - 1 \(got 18446744073709551616\)/
    )
    expect(() => new Generator().manualSeed(-(2n ** 63n) - 1n)).toThrow(/-2\^63/)
  })

  it('getState/setState and clone replay the stream, cached normal included', () => {
    const g = new Generator().manualSeed(9)
    randn([3], { generator: g })
    const state = g.getState()
    const copy = g.clone()
    const next = Array.from(randn([5], { generator: g }).data as Float32Array)
    expect(Array.from(randn([5], { generator: copy }).data as Float32Array)).toEqual(next)
    g.setState(state)
    expect(Array.from(randn([5], { generator: g }).data as Float32Array)).toEqual(next)
  })

  it('seed() picks a fresh seed and reports it', () => {
    const g = new Generator()
    const s = g.seed()
    expect(BigInt(g.initialSeed())).toBe(s)
    const again = new Generator().manualSeed(s)
    expect(Array.from(randn([4], { generator: again }).data as Float32Array)).toEqual(
      Array.from(randn([4], { generator: new Generator().manualSeed(s) }).data as Float32Array)
    )
  })

  it('the default generator is one shared instance', () => {
    expect(getDefaultGenerator()).toBe(getDefaultGenerator())
  })
})
