import { Tensor } from 'onnxruntime-node'

/**
 * The engine's tensor type: an onnxruntime `Tensor`. Everything the pipelines keep between
 * model runs (latents, embeddings, time ids) is float32 with a `Float32Array` behind it, so the
 * same object can be fed to a session without conversion; float16 only exists at the model
 * boundary (see `float16.ts`).
 */
export type FloatTensor = Tensor

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function numel(dims: readonly number[]): number {
  let n = 1
  for (const d of dims) n *= d
  return n
}

/** Wraps float32 data; throws if the data length does not match the dims. */
export function floatTensor(data: Float32Array, dims: readonly number[]): FloatTensor {
  if (data.length !== numel(dims)) {
    throw new Error(
      `a tensor of shape [${dims.join(', ')}] needs ${numel(dims)} values, but ${data.length} were given`
    )
  }
  return new Tensor('float32', data, dims)
}

/** A float32 tensor of zeros. */
export function zeros(dims: readonly number[]): FloatTensor {
  return new Tensor('float32', new Float32Array(numel(dims)), dims)
}

/** A float32 tensor of zeros shaped like `t`. */
export function zerosLike(t: Tensor): FloatTensor {
  return zeros(t.dims)
}

/** A float32 tensor filled with one value. */
export function full(dims: readonly number[], value: number): FloatTensor {
  return new Tensor('float32', new Float32Array(numel(dims)).fill(value), dims)
}

/**
 * The `Float32Array` behind a float32 tensor. The engine's own tensors are always float32;
 * anything else here means a callback returned a tensor of another type, which is reported
 * with the name it was given under.
 */
export function float32Data(t: Tensor, what = 'tensor'): Float32Array {
  if (t.type !== 'float32' || !(t.data instanceof Float32Array)) {
    throw new Error(`${what} must be a float32 tensor, but it is ${t.type}`)
  }
  return t.data
}

/** True when two dims lists are equal. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

/** `[2, 4, 8, 8]` — for error messages. */
export function formatDims(dims: readonly number[]): string {
  return `[${dims.join(', ')}]`
}

/** True for an onnxruntime `Tensor` (callbacks may return anything). */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor
}
