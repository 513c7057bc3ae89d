import type { Tensor } from 'onnxruntime-node'
import { float32Data, floatTensor, formatDims, sameDims, type FloatTensor } from './float-tensor'

/** `t * s`, elementwise, rounded to float32 like torch. */
export function scaleTensor(t: Tensor, s: number): FloatTensor {
  const src = float32Data(t)
  const out = new Float32Array(src.length)
  const f = Math.fround(s)
  for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) * f
  return floatTensor(out, t.dims)
}

/** Largest `|a - b|` over all elements (shapes must match). */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (!sameDims(a.dims, b.dims)) {
    throw new Error(`shapes ${formatDims(a.dims)} and ${formatDims(b.dims)} differ`)
  }
  const x = float32Data(a)
  const y = float32Data(b)
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)))
  return m
}
