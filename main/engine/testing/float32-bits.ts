/**
 * Float32 values from random bit patterns: every exponent, subnormals, ±0, ±∞ and NaN, for
 * tests that must hold for any float32 operand. Reproducible from `seed` (xorshift32, so the
 * engine's own generator is not what is being relied on).
 */
export function anyFloat32s(count: number, seed: number): Float32Array {
  const bits = new Uint32Array(count)
  let state = seed >>> 0
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bits[i] = state >>> 0
  }
  return new Float32Array(bits.buffer)
}
