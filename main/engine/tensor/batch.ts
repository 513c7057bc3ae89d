import type { Tensor } from 'onnxruntime-node'
import { float32Data, floatTensor, formatDims, numel, type FloatTensor } from './float-tensor'

/**
 * Operations along the batch axis (axis 0) of float32 tensors. They are the only reshaping
 * the pipelines need: classifier-free guidance doubles the batch (`[uncond; cond]`), a CFG
 * cutoff keeps one half, `num_images_per_prompt` repeats rows, a fixed-batch model is run in
 * chunks.
 */

/** Elements in one batch row: the product of every axis but the first. */
function rowSize(t: Tensor): number {
  if (t.dims.length === 0) throw new Error('a scalar tensor has no batch axis')
  return numel(t.dims.slice(1))
}

/** Batch size (size of axis 0). */
export function batchOf(t: Tensor): number {
  const b = t.dims[0]
  if (b === undefined) throw new Error('a scalar tensor has no batch axis')
  return b
}

/** `torch.cat(tensors, dim=0)`. All tensors must agree on every axis but the first. */
export function concatBatch(tensors: readonly Tensor[]): FloatTensor {
  const first = tensors[0]
  if (first === undefined) throw new Error('concatBatch needs at least one tensor')
  const tail = first.dims.slice(1)
  let rows = 0
  for (const t of tensors) {
    const other = t.dims.slice(1)
    if (other.length !== tail.length || other.some((d, i) => d !== tail[i])) {
      throw new Error(
        `cannot concatenate tensors of shapes ${formatDims(first.dims)} and ${formatDims(t.dims)} along the batch axis`
      )
    }
    rows += batchOf(t)
  }
  const out = new Float32Array(rows * numel(tail))
  let offset = 0
  for (const t of tensors) {
    const data = float32Data(t)
    out.set(data, offset)
    offset += data.length
  }
  return floatTensor(out, [rows, ...tail])
}

/** Rows `start … end-1` (`t[start:end]`), copied. Negative indices count from the end. */
export function sliceRows(t: Tensor, start: number, end: number = batchOf(t)): FloatTensor {
  const b = batchOf(t)
  const s = Math.max(0, Math.min(b, start < 0 ? b + start : start))
  const e = Math.max(s, Math.min(b, end < 0 ? b + end : end))
  const size = rowSize(t)
  const data = float32Data(t).slice(s * size, e * size)
  return floatTensor(data, [e - s, ...t.dims.slice(1)])
}

/** The given rows, in the given order (`t[indices]`), copied. */
export function takeRows(t: Tensor, indices: readonly number[]): FloatTensor {
  const b = batchOf(t)
  const size = rowSize(t)
  const src = float32Data(t)
  const out = new Float32Array(indices.length * size)
  indices.forEach((row, k) => {
    if (!Number.isInteger(row) || row < 0 || row >= b) {
      throw new Error(`row ${row} is out of range for a batch of ${b}`)
    }
    out.set(src.subarray(row * size, (row + 1) * size), k * size)
  })
  return floatTensor(out, [indices.length, ...t.dims.slice(1)])
}

/** `tensor.chunk(parts)` for a batch divisible by `parts`: equal consecutive pieces. */
export function chunkBatch(t: Tensor, parts: number): FloatTensor[] {
  const b = batchOf(t)
  if (parts <= 0 || b % parts !== 0) {
    throw new Error(`cannot split a batch of ${b} into ${parts} equal parts`)
  }
  const n = b / parts
  return Array.from({ length: parts }, (_, i) => sliceRows(t, i * n, (i + 1) * n))
}

/**
 * Each row repeated `times` times in place — `[a, b] → [a, a, b, b]` — which is what
 * diffusers' `repeat(1, n, 1).view(b * n, …)` does for `num_images_per_prompt`.
 */
export function repeatEachRow(t: Tensor, times: number): FloatTensor {
  const b = batchOf(t)
  return takeRows(
    t,
    Array.from({ length: b * times }, (_, i) => Math.floor(i / times))
  )
}

/** The whole batch tiled `times` times — `[a, b] → [a, b, a, b]` (`tensor.repeat(n, 1)`). */
export function tileBatch(t: Tensor, times: number): FloatTensor {
  return concatBatch(Array.from({ length: times }, () => t))
}
