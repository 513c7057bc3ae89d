import { f32, torchLinspaceF32 } from './numpy-compat'

/** The beta schedules diffusers' schedulers accept in `beta_schedule`. */
export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const

/** A `beta_schedule` value. */
export type BetaSchedule = (typeof BETA_SCHEDULES)[number]

/** The config keys that define the training noise schedule. */
export interface BetaConfig {
  num_train_timesteps: number
  beta_start: number
  beta_end: number
  beta_schedule: BetaSchedule
  trained_betas: readonly number[] | null
  rescale_betas_zero_snr?: boolean
}

/** diffusers' `betas_for_alpha_bar` with the cosine transform (the `squaredcos_cap_v2` schedule). */
export function betasForAlphaBar(numDiffusionTimesteps: number, maxBeta = 0.999): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI * 0.5) ** 2
  const betas = new Float32Array(numDiffusionTimesteps)
  for (let i = 0; i < numDiffusionTimesteps; i++) {
    const t1 = i / numDiffusionTimesteps
    const t2 = (i + 1) / numDiffusionTimesteps
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
  }
  return betas
}

/** `torch.cumprod` of a float32 tensor on the CPU: a double accumulator, each prefix rounded to float32. */
export function cumprodF32(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length)
  let acc = 1
  values.forEach((v, i) => {
    acc *= v
    out[i] = acc
  })
  return out
}

/** `1 - x` element-wise in float32. */
export function oneMinus(values: Float32Array): Float32Array {
  return values.map((v) => f32(1 - v))
}

/**
 * diffusers' `rescale_zero_terminal_snr` (arXiv 2305.08891, Algorithm 1) in float32: rescales the
 * betas so that the last timestep has zero signal-to-noise ratio.
 */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const alphasBarSqrt = cumprodF32(oneMinus(betas)).map((v) => f32(Math.sqrt(v)))
  const first = alphasBarSqrt[0] as number
  const last = alphasBarSqrt[alphasBarSqrt.length - 1] as number
  const scale = f32(first / f32(first - last))
  const alphasBar = alphasBarSqrt.map((v) => {
    const shifted = f32(f32(v - last) * scale)
    return f32(shifted * shifted)
  })
  const alphas = alphasBar.map((v, i) => (i === 0 ? v : f32(v / (alphasBar[i - 1] as number))))
  return oneMinus(alphas)
}

/** The training betas exactly as diffusers builds them (float32). */
export function makeBetas(config: BetaConfig): Float32Array {
  let betas: Float32Array
  if (config.trained_betas !== null) {
    betas = Float32Array.from(config.trained_betas)
  } else if (config.beta_schedule === 'linear') {
    betas = torchLinspaceF32(config.beta_start, config.beta_end, config.num_train_timesteps)
  } else if (config.beta_schedule === 'scaled_linear') {
    betas = torchLinspaceF32(
      Math.sqrt(config.beta_start),
      Math.sqrt(config.beta_end),
      config.num_train_timesteps
    ).map((v) => f32(v * v))
  } else {
    betas = betasForAlphaBar(config.num_train_timesteps)
  }
  return config.rescale_betas_zero_snr === true ? rescaleZeroTerminalSnr(betas) : betas
}

/**
 * `alphas_cumprod` as diffusers computes it; with `rescale_betas_zero_snr` the last value is
 * pinned to 2^-24 (as diffusers does in the sigma-based schedulers) so that sigmas stay finite.
 */
export function makeAlphasCumprod(betas: Float32Array, pinLastForZeroSnr: boolean): Float32Array {
  const alphasCumprod = cumprodF32(oneMinus(betas))
  if (pinLastForZeroSnr && alphasCumprod.length > 0)
    alphasCumprod[alphasCumprod.length - 1] = 2 ** -24
  return alphasCumprod
}
