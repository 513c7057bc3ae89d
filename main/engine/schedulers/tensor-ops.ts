import { Tensor } from 'onnxruntime-node'

/**
 * The float32 element-wise arithmetic the schedulers need. Every operation rounds to float32
 * (Math.fround) exactly where torch's float32 kernels round, so results track diffusers to the
 * last bit or two instead of drifting.
 */

/**
 * The multiplier that divides by the float32 value `d`: `Math.fround(x * float32Divisor(d))` is
 * `Math.fround(x / d)` for every float32 `x`, bit for bit. The double reciprocal and the double
 * product are together within 2⁻⁵² (relative) of the exact quotient, while the quotient of two
 * float32 values never comes closer than about 2⁻⁴⁹ to a point halfway between two float32s, so
 * both round to the same float32 (zeros, infinities and NaN included). A multiplication costs a
 * third of a division, which is most of a 64×64 step's element-wise arithmetic.
 */
export function float32Divisor(d: number): number {
  return 1 / d
}

/** The float32 data of a tensor; anything else is a clear error naming the argument. */
export function floatData(tensor: Tensor, what: string): Float32Array {
  if (tensor.type !== 'float32' || !(tensor.data instanceof Float32Array)) {
    throw new Error(`${what} must be a float32 tensor (got ${tensor.type})`)
  }
  return tensor.data
}

/** Throws unless two tensors have the same dims. */
export function assertSameDims(a: Tensor, b: Tensor, what: string): void {
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
    throw new Error(`${what}: shapes differ ([${a.dims.join(', ')}] vs [${b.dims.join(', ')}])`)
  }
}

/** A float32 tensor over `data` with `dims`. */
export function makeTensor(data: Float32Array, dims: readonly number[]): Tensor {
  return new Tensor('float32', data, [...dims])
}
