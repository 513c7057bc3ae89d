import { describe, expect, it } from 'vitest'
import { randn } from './distributions'
import { Generator } from './generator'
import { randnTensor } from './randn-tensor'
import { loadTorchRandomReference } from './torch-reference'

const ref = loadTorchRandomReference()

describe('randnTensor (diffusers randn_tensor)', () => {
  it('with one generator draws the whole shape in one torch.randn call', () => {
    const a = randnTensor([1, 4, 8, 8], { generator: new Generator().manualSeed(1234) })
    expect(a.dims).toEqual([1, 4, 8, 8])
    const b = randn([1, 4, 8, 8], { generator: new Generator().manualSeed(1234) })
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array))
    const expected = ref.repeated.calls[0] as number[]
    const worst = expected.reduce(
      (m, v, i) => Math.max(m, Math.abs(((a.data as Float32Array)[i] as number) - v)),
      0
    )
    expect(worst).toBeLessThanOrEqual(2e-6)
  })

  it('with a list of generators draws one [1, ...] tensor per batch item like diffusers', () => {
    const { seeds, dims, values } = ref.generatorList
    const t = randnTensor(dims, { generator: seeds.map((s) => new Generator().manualSeed(s)) })
    expect(t.dims).toEqual(dims)
    const got = t.data as Float32Array
    expect(got.length).toBe(values.length)
    values.forEach((v, i) => expect(Math.abs((got[i] as number) - v)).toBeLessThanOrEqual(2e-6))
  })

  it('treats a one-element list like a single generator', () => {
    const a = randnTensor([2, 4, 4, 4], { generator: [new Generator().manualSeed(5)] })
    const b = randnTensor([2, 4, 4, 4], { generator: new Generator().manualSeed(5) })
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array))
  })

  it('rejects a generator list whose length is not the batch size', () => {
    const gens = [new Generator(), new Generator(), new Generator()]
    expect(() => randnTensor([2, 4, 8, 8], { generator: gens })).toThrow(
      /got 3 generators for a batch of 2/
    )
  })

  it("takes the generator positionally, as diffusers' randn_tensor(shape, generator) is called", () => {
    const a = randnTensor([1, 4, 8, 8], new Generator().manualSeed(42))
    const b = randnTensor([1, 4, 8, 8], new Generator().manualSeed(42))
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array))
    const viaOptions = randnTensor([1, 4, 8, 8], { generator: new Generator().manualSeed(42) })
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(viaOptions.data as Float32Array))
    const other = randnTensor([1, 4, 8, 8], new Generator().manualSeed(43))
    expect(Array.from(other.data as Float32Array)).not.toEqual(Array.from(a.data as Float32Array))
    // The generator advances: a second draw from the same one differs from the first.
    const g = new Generator().manualSeed(42)
    randnTensor([1, 4, 8, 8], g)
    const second = randnTensor([1, 4, 8, 8], g)
    expect(Array.from(second.data as Float32Array)).not.toEqual(Array.from(a.data as Float32Array))
  })

  it('takes a list of generators positionally too', () => {
    const seeds = [3, 4]
    const a = randnTensor(
      [2, 4, 4, 4],
      seeds.map((s) => new Generator().manualSeed(s))
    )
    const b = randnTensor([2, 4, 4, 4], {
      generator: seeds.map((s) => new Generator().manualSeed(s))
    })
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array))
  })

  it('refuses a second argument that is neither a generator nor options', () => {
    expect(() => randnTensor([2, 2], 42 as never)).toThrow(
      /randnTensor: the second argument must be a Generator, a list of Generators or \{ generator \} \(got number\)/
    )
    expect(() => randnTensor([2, 2], { generator: 7 } as never)).toThrow(
      /options.generator is not a Generator/
    )
  })
})
