import type { SchedulerConfig } from './config'
import { arange, f32, interpOnIndexGrid, linspace, roundHalfEven } from './numpy-compat'
import { sigmaBounds } from './second-order-schedule'
import { exponentialSigmas, karrasSigmas, sigmaToT } from './sigmas'

/**
 * The schedule of diffusers' exponential-integrator solvers (DPM-Solver multistep and
 * singlestep, DEIS, UniPC): integer timesteps from `timestep_spacing` over n + 1 points with the
 * last dropped, sigmas interpolated on the training sigmas or replaced by Karras / exponential
 * sigmas, in NumPy's float64 until the caller appends its final sigma and rounds to float32.
 */

/** A config with the keys the solver schedule reads. */
export interface SolverScheduleConfig extends SchedulerConfig {
  readonly use_karras_sigmas: boolean
  readonly use_exponential_sigmas: boolean
}

/**
 * Timesteps for `n` steps (before any sigma conversion): `lastTimestep` is the training length,
 * or less where `lambda_min_clipped` cuts the schedule. Singlestep DPM-Solver has no
 * `timestep_spacing` and always spaces linearly.
 */
export function solverTimesteps(
  config: SchedulerConfig,
  n: number,
  lastTimestep: number,
  spacing: string = config.timestep_spacing
): number[] {
  const T = config.num_train_timesteps
  // DEIS and UniPC space over T; DPM-Solver over the clipped length (the same without a clip).
  if (spacing === 'leading') {
    const ratio = Math.floor(lastTimestep / (n + 1))
    return Array.from({ length: n + 1 }, (_, i) => i * ratio)
      .reverse()
      .slice(0, -1)
      .map((t) => t + config.steps_offset)
  }
  if (spacing === 'trailing') {
    return arange(lastTimestep, 0, -T / n).map((v) => roundHalfEven(v) - 1)
  }
  return linspace(0, lastTimestep - 1, n + 1)
    .map(roundHalfEven)
    .reverse()
    .slice(0, -1)
}

/**
 * The step sigmas (float64, no final sigma yet) and the timesteps that go with them: Karras
 * sigmas between the training extremes (config `sigma_min` / `sigma_max` where present) with
 * rounded timesteps, exponential sigmas with fractional ones, or the training sigmas at the
 * spaced timesteps. Timesteps are truncated to integers as diffusers' `int64` cast does.
 */
export function solverSigmas(
  config: SolverScheduleConfig,
  n: number,
  timesteps: readonly number[],
  trainSigmas: Float32Array,
  logSigmas: Float32Array,
  roundKarras = true
): { timesteps: number[]; sigmas: number[]; replaced: boolean } {
  if (config.use_karras_sigmas || config.use_exponential_sigmas) {
    const descending = Array.from(trainSigmas).reverse()
    const { min, max } = sigmaBounds(config, descending)
    const sigmas = config.use_karras_sigmas
      ? karrasSigmas(min, max, n)
      : exponentialSigmas(min, max, n)
    const ts = sigmas.map((s) => sigmaToT(s, logSigmas))
    const rounded = config.use_karras_sigmas && roundKarras ? ts.map(roundHalfEven) : ts
    return { timesteps: rounded.map((t) => Math.trunc(t)), sigmas, replaced: true }
  }
  return {
    timesteps: [...timesteps],
    sigmas: timesteps.map((t) => interpOnIndexGrid(t, trainSigmas)),
    replaced: false
  }
}

/** `((1 - alphas_cumprod[0]) / alphas_cumprod[0]) ** 0.5` in float32: the smallest training sigma. */
export function trainingSigmaMin(alphasCumprod: Float32Array): number {
  const a0 = alphasCumprod[0] as number
  return f32(Math.sqrt(f32(f32(1 - a0) / a0)))
}

/** `log(alpha_t) − log(sigma_t)` for every training timestep, in float32. */
export function trainingLambdas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => {
    const alpha = f32(Math.sqrt(a))
    const sigma = f32(Math.sqrt(f32(1 - a)))
    return f32(f32(Math.log(alpha)) - f32(Math.log(sigma)))
  })
}

/**
 * The training length left after `lambda_min_clipped`: `torch.searchsorted` over the ascending
 * (flipped) lambdas gives the first index ≥ the clip, and that many timesteps are cut.
 */
export function clippedLastTimestep(lambdaT: Float32Array, clip: number): number {
  const ascending = Array.from(lambdaT).reverse()
  let clipped = ascending.findIndex((l) => l >= clip)
  if (clipped < 0) clipped = ascending.length
  return lambdaT.length - clipped
}

/**
 * The multistep solvers' `index_for_timestep`: the second match where a timestep appears twice,
 * and a timestep not in the schedule maps to the last step.
 */
export function solverIndexForTimestep(timesteps: readonly number[], t: number): number {
  const matches: number[] = []
  timesteps.forEach((v, i) => {
    if (v === t) matches.push(i)
  })
  if (matches.length === 0) return timesteps.length - 1
  return (matches.length > 1 ? matches[1] : matches[0]) as number
}
