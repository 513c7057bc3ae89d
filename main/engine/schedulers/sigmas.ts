import { f32, linspace } from './numpy-compat'

/**
 * Noise-level helpers shared by the sigma-based schedulers (Euler, Euler ancestral, LMS,
 * DPM-Solver): sigma from `alphas_cumprod`, sigma → fractional timestep, and the Karras,
 * exponential and Lu schedules, with diffusers' float64 / float32 steps.
 */

/** `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5` computed as a float32 torch tensor. */
export function sigmasFromAlphasCumprod(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))))
}

/** `np.log` of a float32 array (the result stays float32). */
export function logF32(values: Float32Array): Float32Array {
  return values.map((v) => f32(Math.log(v)))
}

/**
 * diffusers' `_sigma_to_t`: the fractional training timestep whose log-sigma interpolates to
 * `sigma`. Computed in float64, as NumPy 2 does (NumPy 1 evaluated part of it in float32, which
 * moves the result by ~1e-5 of a timestep).
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10))
  const n = logSigmas.length
  // The last index whose log-sigma is <= log(sigma) (argmax of the cumulative count), or 0.
  let lowIdx = 0
  for (let i = 0; i < n; i++) if (logSigma - (logSigmas[i] as number) >= 0) lowIdx = i
  lowIdx = Math.min(lowIdx, n - 2)
  const highIdx = lowIdx + 1
  const low = logSigmas[lowIdx] as number
  const high = logSigmas[highIdx] as number
  const w = Math.min(Math.max((low - logSigma) / f32(low - high), 0), 1)
  return (1 - w) * lowIdx + w * highIdx
}

/** Karras et al. (2022) sigmas, rho = 7, from `sigmaMax` down to `sigmaMin` (float64). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const rho = 7.0
  const minInvRho = sigmaMin ** (1 / rho)
  const maxInvRho = sigmaMax ** (1 / rho)
  return linspace(0, 1, n).map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho)
}

/** Sigmas evenly spaced in log space from `sigmaMax` down to `sigmaMin` (float64). */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  return linspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map((v) => Math.exp(v))
}

/** Lu et al. (DPM-Solver++) log-SNR-uniform values from `lambdaMax` down to `lambdaMin` (rho = 1). */
export function luLambdas(lambdaMin: number, lambdaMax: number, n: number): number[] {
  return linspace(0, 1, n).map((r) => lambdaMax + r * (lambdaMin - lambdaMax))
}
