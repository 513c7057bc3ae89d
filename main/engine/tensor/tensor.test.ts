import { describe, expect, it } from 'vitest'
import {
  chunkBatch,
  concatBatch,
  float16ToFloat32,
  float32ToFloat16,
  floatTensor,
  fromFloat16Bits,
  repeatEachRow,
  sliceRows,
  takeRows,
  tileBatch,
  toFloat16Bits
} from './index'

const rows = (t: { data: unknown }): number[] => Array.from(t.data as Float32Array)

describe('batch operations', () => {
  const a = floatTensor(Float32Array.from([1, 2, 3, 4]), [2, 2])
  const b = floatTensor(Float32Array.from([5, 6]), [1, 2])

  it('concatenates along axis 0 and rejects mismatched rows', () => {
    const c = concatBatch([a, b])
    expect(c.dims).toEqual([3, 2])
    expect(rows(c)).toEqual([1, 2, 3, 4, 5, 6])
    expect(() => concatBatch([a, floatTensor(new Float32Array(3), [1, 3])])).toThrow(
      'cannot concatenate tensors of shapes [2, 2] and [1, 3]'
    )
  })

  it('slices like Python, including negative indices', () => {
    expect(rows(sliceRows(a, -1))).toEqual([3, 4])
    expect(rows(sliceRows(a, 0, 1))).toEqual([1, 2])
    expect(sliceRows(a, 1, 1).dims).toEqual([0, 2])
  })

  it('takes, chunks, repeats and tiles rows', () => {
    expect(rows(takeRows(a, [1, 0, 1]))).toEqual([3, 4, 1, 2, 3, 4])
    expect(chunkBatch(a, 2).map(rows)).toEqual([
      [1, 2],
      [3, 4]
    ])
    expect(() => chunkBatch(concatBatch([a, b]), 2)).toThrow('cannot split a batch of 3')
    expect(rows(repeatEachRow(a, 2))).toEqual([1, 2, 1, 2, 3, 4, 3, 4])
    expect(rows(tileBatch(a, 2))).toEqual([1, 2, 3, 4, 1, 2, 3, 4])
  })
})

describe('float16 conversion', () => {
  it('matches IEEE binary16 bit patterns, rounding to nearest even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00)
    expect(toFloat16Bits(-2)).toBe(0xc000)
    expect(toFloat16Bits(65504)).toBe(0x7bff)
    expect(toFloat16Bits(65520)).toBe(0x7c00) // rounds up to infinity
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001) // smallest subnormal
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000) // tie rounds to even (zero)
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00) // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02) // tie → even (up)
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00)
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(0.333251953125, 12)
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity)
  })

  it('round-trips every finite half value exactly', () => {
    const all = new Uint16Array(0x10000).map((_, i) => i)
    const finite = all.filter((bits) => (bits & 0x7c00) !== 0x7c00)
    const back = float32ToFloat16(float16ToFloat32(finite))
    expect(Array.from(back)).toEqual(Array.from(finite))
  })
})
