import { Tensor } from 'onnxruntime-node'
import { formatDims, numel } from './float-tensor'

/** The typed array behind any numeric onnxruntime tensor (float32, float16 bits, ints, bool). */
export type NumericData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

/**
 * The data of `t` for the shape helpers, which copy elements without looking at them and so
 * work for every numeric type. `op` names the helper in the error.
 */
export function numericData(t: Tensor, op: string): NumericData {
  if (!(t instanceof Tensor)) {
    throw new TypeError(`${op} needs an onnxruntime Tensor, got ${describeValue(t)}`)
  }
  if (t.location !== 'cpu') {
    throw new Error(`${op} needs a tensor in CPU memory; this one is on ${t.location}`)
  }
  if (t.type === 'string') throw new Error(`${op} works on numeric tensors, not string tensors`)
  const data = t.data as NumericData
  if (data.length !== numel(t.dims)) {
    throw new Error(
      `${op}: the tensor's shape ${formatDims(t.dims)} needs ${numel(t.dims)} values, but it holds ${data.length}`
    )
  }
  return data
}

/** A zeroed typed array of the same kind as `like`. */
export function allocateLike(like: NumericData, length: number): NumericData {
  const Ctor = like.constructor as new (length: number) => NumericData
  return new Ctor(length)
}

/** A tensor of `type` over `data` (not copied). */
export function tensorOf(type: Tensor.Type, data: NumericData, dims: readonly number[]): Tensor {
  return new Tensor(type as 'float32', data as Float32Array, dims)
}

/**
 * `dim` (negative counts from the end, as in torch) as an index into `rank` axes;
 * `extra` allows one more position, for helpers that insert an axis.
 */
export function normalizeDim(dim: number, rank: number, op: string, extra = 0): number {
  const size = rank + extra
  if (!Number.isInteger(dim) || dim < -size || dim >= size) {
    throw new RangeError(
      `${op}: dim ${dim} is out of range for a tensor with ${rank} dimension${rank === 1 ? '' : 's'} (allowed: ${-size}…${size - 1})`
    )
  }
  return dim < 0 ? dim + size : dim
}

/** Sizes before and after `dim`: a tensor is `outer` blocks of `dims[dim]` rows of `inner` values. */
export function splitAt(dims: readonly number[], dim: number): { outer: number; inner: number } {
  return { outer: numel(dims.slice(0, dim)), inner: numel(dims.slice(dim + 1)) }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value
}

/** `dest.set(src.subarray(from, to), at)` for two typed arrays of the same kind. */
export function copyRange(
  dest: NumericData,
  src: NumericData,
  from: number,
  to: number,
  at: number
): void {
  ;(dest as Float32Array).set((src as Float32Array).subarray(from, to), at)
}

/** The number of dimensions of `t`, after checking it is a numeric tensor in CPU memory. */
export function rankOf(t: Tensor, op: string): number {
  numericData(t, op)
  return t.dims.length
}
