/**
 * float32 ↔ IEEE-754 binary16 conversion for models exported in float16. onnxruntime-node takes
 * and returns float16 tensor data as `Uint16Array` bit patterns (Node 20 has no `Float16Array`),
 * so the engine keeps float32 everywhere and converts only when feeding or reading such a model.
 */

/** One float32 and its bits, for reading a number's IEEE-754 representation. */
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** One float32 value to binary16 bits, rounding to nearest-even (as torch's `.half()`). */
export function toFloat16Bits(value: number): number {
  f32[0] = value
  const x = u32[0] as number
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) {
    // Inf stays Inf; NaN keeps a quiet-NaN payload bit so it stays NaN.
    return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0)
  }
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow → Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, round to nearest-even.
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rest = mant & ((1 << shift) - 1)
    let h = mant >>> shift
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1
    return sign | h
  }
  let h = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1 // may carry into the exponent: correct
  return sign | h
}

/** binary16 bits to a number (exact: every half value is a float32 value). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exp = (bits >>> 10) & 0x1f
  const mant = bits & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

/** A whole float32 array to binary16 bits. */
export function float32ToFloat16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = toFloat16Bits(src[i] as number)
  return out
}

/** binary16 bits to a float32 array. */
export function float16ToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = fromFloat16Bits(src[i] as number)
  return out
}
