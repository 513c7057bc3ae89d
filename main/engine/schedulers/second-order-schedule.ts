import type { SchedulerConfig } from './config'
import { f32, interpOnIndexGrid } from './numpy-compat'
import { spacedFloatTimesteps } from './sigma-schedule'
import { exponentialSigmas, karrasSigmas, sigmaToT } from './sigmas'

/**
 * The schedule diffusers' second-order discrete schedulers (Heun, KDPM2, KDPM2 ancestral) start
 * from: spaced float timesteps, sigmas interpolated on the training sigmas, optionally replaced
 * by Karras or exponential sigmas with their fractional timesteps. Sigmas are float64 values
 * (NumPy's), before the trailing 0 is appended.
 */
export interface BaseSigmaSchedule {
  /** One timestep per step: float32 values, or float64 ones where sigmas were replaced. */
  timesteps: number[]
  /** One sigma per step (float64). */
  sigmas: number[]
  /** Whether diffusers' timesteps are float64 (Karras / exponential sigmas) rather than float32. */
  float64: boolean
}

/** A config with the sigma-schedule switches of these classes. */
export interface SigmaScheduleConfig extends SchedulerConfig {
  readonly use_karras_sigmas: boolean
  readonly use_exponential_sigmas: boolean
}

/**
 * diffusers' `_convert_to_karras` / `_convert_to_exponential` bounds: `sigma_min` / `sigma_max`
 * from the config when it has them (diffusers reads them with `hasattr`, so a key another class
 * left in the config counts), else the ends of `sigmas`.
 */
export function sigmaBounds(
  config: SchedulerConfig,
  sigmas: readonly number[]
): { min: number; max: number } {
  const min = typeof config.sigma_min === 'number' ? config.sigma_min : sigmas[sigmas.length - 1]
  const max = typeof config.sigma_max === 'number' ? config.sigma_max : sigmas[0]
  return { min: min as number, max: max as number }
}

/**
 * Timesteps and sigmas for `n` steps as diffusers' Heun / KDPM2 `set_timesteps` computes them
 * before doubling. `roundKarras`: KDPM2 rounds the timesteps of Karras sigmas, Heun does not.
 */
export function baseSigmaSchedule(
  config: SigmaScheduleConfig,
  n: number,
  trainSigmas: Float32Array,
  logSigmas: Float32Array,
  roundKarras: boolean
): BaseSigmaSchedule {
  const timesteps = spacedFloatTimesteps(config, n)
  let sigmas = timesteps.map((t) => interpOnIndexGrid(t, trainSigmas))
  if (!config.use_karras_sigmas && !config.use_exponential_sigmas) {
    return { timesteps, sigmas, float64: false }
  }
  const { min, max } = sigmaBounds(config, sigmas)
  sigmas = config.use_karras_sigmas ? karrasSigmas(min, max, n) : exponentialSigmas(min, max, n)
  const fractional = sigmas.map((s) => sigmaToT(s, logSigmas))
  const rounded = config.use_karras_sigmas && roundKarras
  // np.round: halves to even.
  return {
    timesteps: rounded ? fractional.map(roundHalfEvenF64) : fractional,
    sigmas,
    float64: true
  }
}

function roundHalfEvenF64(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/**
 * diffusers' `_sigma_to_t` when its arguments are float32 torch tensors (KDPM2's interpolated
 * sigmas): every operation in float32.
 */
export function sigmaToTFloat32(sigma: number, logSigmas: Float32Array): number {
  const logSigma = f32(Math.log(Math.max(sigma, f32(1e-10))))
  const n = logSigmas.length
  let lowIdx = 0
  for (let i = 0; i < n; i++) if (logSigma >= (logSigmas[i] as number)) lowIdx = i
  lowIdx = Math.min(lowIdx, n - 2)
  const low = logSigmas[lowIdx] as number
  const high = logSigmas[lowIdx + 1] as number
  let w = f32(f32(low - logSigma) / f32(low - high))
  w = Number.isNaN(w) ? w : Math.min(Math.max(w, 0), 1)
  return f32(f32(f32(1 - w) * lowIdx) + f32(w * (lowIdx + 1)))
}

/** `torch.cat([x[:1], x[1:].repeat_interleave(2), x[-1:]])` (KDPM2's doubled sigma lists). */
export function doubleInterior(values: readonly number[]): number[] {
  const out = [values[0] as number]
  for (const v of values.slice(1)) out.push(v, v)
  out.push(values[values.length - 1] as number)
  return out
}

/**
 * `torch.log(a).lerp(torch.log(b), 0.5).exp()` element-wise in float32: the geometric midpoint
 * of two sigmas as KDPM2 computes it (torch's lerp takes `end - (end - start) * (1 - w)` at 0.5).
 */
export function logMidpoint(a: number, b: number): number {
  const start = f32(Math.log(a))
  const end = f32(Math.log(b))
  const mid = f32(end - f32(f32(end - start) * 0.5))
  return f32(Math.exp(mid))
}
