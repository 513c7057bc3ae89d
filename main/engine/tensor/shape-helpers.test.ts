import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import {
  cat,
  chunk,
  index,
  narrow,
  reshape,
  select,
  slice,
  squeeze,
  stack,
  unsqueeze
} from './index'

// Hand-computed expectations on small tensors whose values are their own flat positions, so a
// result's values say exactly which elements it took.
const arange = (n: number, dims: number[]): Tensor =>
  new Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => i),
    dims
  )
const values = (t: Tensor): number[] => Array.from(t.data as Float32Array)
const t234 = arange(24, [2, 3, 4])

describe('chunk', () => {
  it('splits along the batch axis like noise_pred.chunk(2)', () => {
    const [uncond, text] = chunk(t234, 2)
    expect(uncond?.dims).toEqual([1, 3, 4])
    expect(values(uncond as Tensor)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(values(text as Tensor)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    expect(values(chunk(t234, 2).at(-1) as Tensor)).toEqual(values(text as Tensor))
  })

  it('splits along any axis, negative ones counted from the end', () => {
    const [left, right] = chunk(t234, 2, -1)
    expect(left?.dims).toEqual([2, 3, 2])
    expect(values(left as Tensor)).toEqual([0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21])
    expect(values(right as Tensor)).toEqual([2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23])
  })

  it('makes pieces of ceil(size / chunks), possibly fewer of them, as torch does', () => {
    expect(chunk(arange(10, [10]), 4).map((c) => c.dims[0])).toEqual([3, 3, 3, 1])
    expect(chunk(arange(6, [6]), 4).map((c) => c.dims[0])).toEqual([2, 2, 2])
    expect(chunk(arange(0, [2, 0]), 3, 1).map((c) => c.dims)).toEqual([
      [2, 0],
      [2, 0],
      [2, 0]
    ])
    expect(() => chunk(t234, 0)).toThrow('chunk: chunks must be a positive integer, got 0')
    expect(() => chunk(t234, 2, 3)).toThrow(
      'chunk: dim 3 is out of range for a tensor with 3 dimensions (allowed: -3…2)'
    )
  })
})

describe('slice and narrow', () => {
  it('slices like Python, negative and out-of-range indices included', () => {
    const last = slice(t234, -1) // t[-1:]
    expect(last.dims).toEqual([1, 3, 4])
    expect(values(last)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    const middleRows = slice(t234, 1, -1, 1) // t[:, 1:-1]
    expect(middleRows.dims).toEqual([2, 1, 4])
    expect(values(middleRows)).toEqual([4, 5, 6, 7, 16, 17, 18, 19])
    const five = arange(5, [5])
    expect(values(slice(five, null, null, 0, 2))).toEqual([0, 2, 4]) // x[::2]
    expect(values(slice(five, 1, undefined, 0, 3))).toEqual([1, 4]) // x[1::3]
    expect(slice(five, 7).dims).toEqual([0]) // x[7:]
    expect(values(slice(five, -9, 2))).toEqual([0, 1]) // x[-9:2]
    expect(() => slice(five, 0, 2, 0, -1)).toThrow('slice: step must be a positive integer')
  })

  it('narrows like torch.narrow and refuses entries that do not exist', () => {
    const n = narrow(t234, 2, 1, 2)
    expect(n.dims).toEqual([2, 3, 2])
    expect(values(n)).toEqual([1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
    expect(values(narrow(arange(4, [4]), 0, -1, 1))).toEqual([3])
    expect(narrow(arange(4, [4]), 0, 4, 0).dims).toEqual([0])
    expect(() => narrow(arange(4, [4]), 0, 2, 3)).toThrow(
      'narrow: start 2 + length 3 exceeds dimension 0 of size 4'
    )
    expect(() => narrow(arange(4, [4]), 0, 5, 0)).toThrow(
      'narrow: start 5 is out of range for dimension 0 of size 4 (allowed: -4…4)'
    )
  })
})

describe('index and select', () => {
  it('takes the first image of a batch like latents[0], dropping the batch axis', () => {
    const first = index(t234, 0)
    expect(first.dims).toEqual([3, 4])
    expect(values(first)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(values(index(t234, -1))[0]).toBe(12)
    expect(() => index(t234, 2)).toThrow(
      'select: index 2 is out of range for dimension 0 of size 2 in a tensor of shape [2, 3, 4]'
    )
  })

  it('selects along another axis', () => {
    const lastRow = select(t234, 1, -1)
    expect(lastRow.dims).toEqual([2, 4])
    expect(values(lastRow)).toEqual([8, 9, 10, 11, 20, 21, 22, 23])
  })
})

describe('cat and stack', () => {
  const a = new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2])

  it('concatenates along the batch axis and along others', () => {
    const b = new Tensor('float32', Float32Array.from([5, 6]), [1, 2])
    const rows = cat([a, b])
    expect(rows.dims).toEqual([3, 2])
    expect(values(rows)).toEqual([1, 2, 3, 4, 5, 6])
    const column = new Tensor('float32', Float32Array.from([9, 8]), [2, 1])
    const wide = cat([a, column], 1)
    expect(wide.dims).toEqual([2, 3])
    expect(values(wide)).toEqual([1, 2, 9, 3, 4, 8])
    expect(values(cat([a, a]))).toEqual([1, 2, 3, 4, 1, 2, 3, 4])
  })

  it('refuses tensors that do not fit together, saying which and why', () => {
    expect(() => cat([a, arange(3, [1, 3])])).toThrow(
      'cat: tensor 1 has shape [1, 3], which does not match [2, 2] outside dimension 0'
    )
    expect(() => cat([a, new Tensor('int32', Int32Array.from([1, 2]), [1, 2])])).toThrow(
      'cat: tensor 1 is int32 but tensor 0 is float32'
    )
    expect(() => cat([])).toThrow('cat needs at least one tensor')
  })

  it('stacks along a new axis', () => {
    const x = new Tensor('float32', Float32Array.from([1, 2]), [2])
    const y = new Tensor('float32', Float32Array.from([3, 4]), [2])
    expect(stack([x, y]).dims).toEqual([2, 2])
    expect(values(stack([x, y]))).toEqual([1, 2, 3, 4])
    expect(values(stack([x, y], 1))).toEqual([1, 3, 2, 4])
    expect(values(stack([x, y], -1))).toEqual([1, 3, 2, 4])
    expect(() => stack([x, a])).toThrow('stack: tensor 1 has shape [2, 2], but tensor 0 has [2]')
  })
})

describe('reshape, unsqueeze, squeeze', () => {
  it('infers one -1 and shares the data, like a torch view', () => {
    const r = reshape(t234, [-1, 4])
    expect(r.dims).toEqual([6, 4])
    expect(r.data).toBe(t234.data)
    expect(unsqueeze(arange(4, [2, 2]), 0).dims).toEqual([1, 2, 2])
    expect(unsqueeze(arange(4, [2, 2]), -1).dims).toEqual([2, 2, 1])
    expect(squeeze(arange(4, [1, 4, 1])).dims).toEqual([4])
    expect(squeeze(arange(4, [1, 4, 1]), 1).dims).toEqual([1, 4, 1])
    expect(squeeze(arange(4, [1, 4, 1]), -1).dims).toEqual([1, 4])
    expect(() => reshape(t234, [5, -1])).toThrow(
      'reshape: cannot reshape a tensor of shape [2, 3, 4] to [5, -1]'
    )
  })
})

describe('any numeric type, always a copy', () => {
  it('keeps int64 token ids, int32 and float16 bits as they are', () => {
    const ids = new Tensor(
      'int64',
      BigInt64Array.from([49406n, 320n, 49407n, 49406n, 1n, 49407n]),
      [2, 3]
    )
    const second = index(ids, 1)
    expect(second.type).toBe('int64')
    expect(Array.from(second.data as BigInt64Array)).toEqual([49406n, 1n, 49407n])
    const both = cat([ids, ids])
    expect(both.dims).toEqual([4, 3])
    expect(both.data).toBeInstanceOf(BigInt64Array)
    const ints = chunk(new Tensor('int32', Int32Array.from([1, 2, 3, 4]), [4]), 2)
    expect(ints.map((t) => Array.from(t.data as Int32Array))).toEqual([
      [1, 2],
      [3, 4]
    ])
    const half = narrow(new Tensor('float16', Uint16Array.from([0x3c00, 0x4000]), [2]), 0, 1, 1)
    expect(half.type).toBe('float16')
    expect(Array.from(half.data as Uint16Array)).toEqual([0x4000])
  })

  it('returns results that own their values', () => {
    const first = index(t234, 0)
    ;(first.data as Float32Array)[0] = 100
    expect((t234.data as Float32Array)[0]).toBe(0)
  })

  it('says what it got when given something that is not a tensor', () => {
    expect(() => chunk([1, 2] as unknown as Tensor, 2)).toThrow(
      'chunk needs an onnxruntime Tensor, got an array'
    )
    expect(() => index(new Tensor('string', ['a', 'b'], [2]), 0)).toThrow(
      'index works on numeric tensors, not string tensors'
    )
  })
})

describe("the engine's public index", () => {
  it('exports the helpers under their torch names', async () => {
    const engine = await import('../index')
    for (const name of [
      'cat',
      'chunk',
      'index',
      'narrow',
      'reshape',
      'select',
      'slice',
      'squeeze',
      'stack',
      'unsqueeze',
      'fixText'
    ] as const) {
      expect(typeof engine[name]).toBe('function')
    }
    expect(values(engine.chunk(t234, 2).at(-1) as Tensor)[0]).toBe(12)
  })
})
