/**
 * What the engine's float32 kernels compute, and the same arithmetic in scalar JavaScript: the
 * fallback where WebAssembly SIMD is missing, and the reference the SIMD kernels
 * (float32-kernels.ts) are tested against bit for bit.
 */

/** The kernels' contract: what each computes, element by element, in float32. */
export interface Float32Kernels {
  /** `uncond[i] ← uncond[i] + g · (cond[i] − uncond[i])`, over the first half of `data`. */
  guideHalvesInPlace(data: Float32Array, guidanceScale: number): void
  /** `src[i] / divisor` into a new array. */
  divide(src: Float32Array, divisor: number): Float32Array
  /**
   * Euler's step for an epsilon prediction: `x0 = s − σ̂·ε`, `prev = s + ((s − x0) / σ̂) · dt`.
   * `sigmaHat` and `dt` must be float32 values.
   */
  eulerEpsilon(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigmaHat: number,
    dt: number
  ): { x0: Float32Array; prev: Float32Array }
  /**
   * Guidance and Euler's epsilon step in one pass, for a UNet output of 2B rows `[uncond ; cond]`
   * (`modelOutput`, twice the length of `sample`): `ε = u + g · (c − u)`, then
   * {@link Float32Kernels.eulerEpsilon} on it. The same bits as the two calls one after the
   * other, with one pass over the arrays instead of two; `modelOutput` is left as it is.
   */
  eulerGuidedEpsilon(
    modelOutput: Float32Array,
    sample: Float32Array,
    guidanceScale: number,
    sigmaHat: number,
    dt: number
  ): { x0: Float32Array; prev: Float32Array }
  /**
   * DDIM's step for an epsilon prediction without clipping: `x0 = (s − √β_t·ε) / √ᾱ_t`,
   * `prev = √ᾱ_prev·x0 + c·ε` (c: the direction's coefficient). All four must be float32 values.
   */
  ddimEpsilon(
    modelOutput: Float32Array,
    sample: Float32Array,
    coefficients: DdimCoefficients
  ): { x0: Float32Array; prev: Float32Array }
  /**
   * DPM-Solver++'s data prediction from an epsilon output: `x0 = (s − σ·ε) / α`. `sigma` and
   * `alpha` must be float32 values.
   */
  dpmDataPrediction(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigma: number,
    alpha: number
  ): Float32Array
  /** DPM-Solver++'s first-order update: `a·s − b·x0` (`a`, `b` float32 values). */
  dpmFirstOrder(sample: Float32Array, x0: Float32Array, a: number, b: number): Float32Array
  /**
   * DPM-Solver++'s second-order midpoint update from the last two data predictions:
   * `(a·s − b·m0) − c·((m0 − m1) · (1/r0))` (all four float32 values).
   */
  dpmSecondOrderMidpoint(
    sample: Float32Array,
    m0: Float32Array,
    m1: Float32Array,
    coefficients: DpmSecondOrderCoefficients
  ): Float32Array
  /**
   * The linear preview of a 4-channel latent image (`planes`: its 4 channel planes of `plane`
   * values, one after the other) with ComfyUI's byte mapping, as RGBA: per pixel and colour,
   * `bias + Σ_c v_c · factors[c]` in float64, clamped to [−1, 1], `(x + 1) · 127.5`, rounded
   * half to even.
   */
  previewSignedUnit(
    planes: Float32Array,
    plane: number,
    factors: readonly (readonly number[])[],
    bias: readonly number[]
  ): Uint8Array
}

/** The constants of DPM-Solver++'s second-order midpoint update, float32 values. */
export interface DpmSecondOrderCoefficients {
  a: number
  b: number
  c: number
  invR0: number
}

/** DDIM's per-step constants, float32 values. */
export interface DdimCoefficients {
  sqrtBetaT: number
  sqrtAlphaT: number
  sqrtAlphaPrev: number
  direction: number
}

const f32 = Math.fround

/** The same arithmetic in scalar JavaScript: the fallback, and the reference the tests use. */
export const scalarKernels: Float32Kernels = {
  guideHalvesInPlace(data, guidanceScale) {
    const half = data.length / 2
    const g = f32(guidanceScale)
    for (let i = 0; i < half; i++) {
      const u = data[i] as number
      data[i] = u + f32(g * f32((data[half + i] as number) - u))
    }
  },
  divide(src, divisor) {
    const out = new Float32Array(src.length)
    const d = f32(divisor)
    for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) / d
    return out
  },
  eulerEpsilon(m, s, sigmaHat, dt) {
    const x0 = new Float32Array(s.length)
    const prev = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      const si = s[i] as number
      const x = f32(si - f32(sigmaHat * (m[i] as number)))
      x0[i] = x
      prev[i] = si + f32(f32(f32(si - x) / sigmaHat) * dt)
    }
    return { x0, prev }
  },
  eulerGuidedEpsilon(m, s, guidanceScale, sigmaHat, dt) {
    const n = s.length
    const g = f32(guidanceScale)
    const x0 = new Float32Array(n)
    const prev = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const u = m[i] as number
      const e = f32(u + f32(g * f32((m[n + i] as number) - u)))
      const si = s[i] as number
      const x = f32(si - f32(sigmaHat * e))
      x0[i] = x
      prev[i] = si + f32(f32(f32(si - x) / sigmaHat) * dt)
    }
    return { x0, prev }
  },
  ddimEpsilon(m, s, { sqrtBetaT, sqrtAlphaT, sqrtAlphaPrev, direction }) {
    const x0 = new Float32Array(s.length)
    const prev = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      const mi = m[i] as number
      const x = f32(f32((s[i] as number) - f32(sqrtBetaT * mi)) / sqrtAlphaT)
      x0[i] = x
      prev[i] = f32(sqrtAlphaPrev * x) + f32(direction * mi)
    }
    return { x0, prev }
  },
  dpmDataPrediction(m, s, sigma, alpha) {
    const out = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      out[i] = f32((s[i] as number) - f32(sigma * (m[i] as number))) / alpha
    }
    return out
  },
  dpmFirstOrder(s, x0, a, b) {
    const out = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      out[i] = f32(a * (s[i] as number)) - f32(b * (x0[i] as number))
    }
    return out
  },
  dpmSecondOrderMidpoint(s, m0, m1, { a, b, c, invR0 }) {
    const out = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      const m = m0[i] as number
      const ab = f32(f32(a * (s[i] as number)) - f32(b * m))
      out[i] = ab - f32(c * f32(invR0 * f32(m - (m1[i] as number))))
    }
    return out
  },
  previewSignedUnit(src, plane, factors, bias) {
    const out = new Uint8Array(plane * 4)
    const [br, bg, bb] = bias as [number, number, number]
    const [[r0, g0, b0], [r1, g1, b1], [r2, g2, b2], [r3, g3, b3]] = factors as [Rgb, Rgb, Rgb, Rgb]
    for (let p = 0; p < plane; p++) {
      const v0 = src[p] as number
      const v1 = src[plane + p] as number
      const v2 = src[2 * plane + p] as number
      const v3 = src[3 * plane + p] as number
      const o = p * 4
      out[o] = signedUnitToByte(br + v0 * r0 + v1 * r1 + v2 * r2 + v3 * r3)
      out[o + 1] = signedUnitToByte(bg + v0 * g0 + v1 * g1 + v2 * g2 + v3 * g3)
      out[o + 2] = signedUnitToByte(bb + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3)
      out[o + 3] = 255
    }
    return out
  }
}

type Rgb = [number, number, number]

/**
 * Adding and taking away 1.5·2⁵² rounds a double of magnitude below 2⁵¹ to an integer in the
 * default rounding mode, round half to even: torch.round's rule, without a remainder test.
 */
export const ROUND_HALF_EVEN = 6755399441055744

/** ComfyUI's mapping: clamp to [−1, 1], `(v + 1) · 127.5`, round half to even (torch.round). */
export function signedUnitToByte(v: number): number {
  const x = ((v < -1 ? -1 : v > 1 ? 1 : v) + 1) * 127.5
  return x + ROUND_HALF_EVEN - ROUND_HALF_EVEN
}
