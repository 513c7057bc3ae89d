import type { Tensor } from 'onnxruntime-node'
import { alphaSigma } from './dpm-solver-updates'
import { f32 } from './numpy-compat'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/**
 * diffusers' `add_noise` (the forward diffusion process that img2img and inpainting use to start
 * from an image), in its three forms, with torch's float32 rounding:
 *
 * - alpha-based (DDIM, PNDM, LCM, TCD): `√ᾱ_t · x + √(1 − ᾱ_t) · ε`, ᾱ indexed by the timestep;
 * - variance-exploding sigmas (Euler, Euler ancestral, LMS, Heun, KDPM2, KDPM2 ancestral):
 *   `x + ε · σ`;
 * - variance-preserving sigmas (DPM-Solver multistep/singlestep, DEIS, UniPC): `α_t · x + σ_t · ε`
 *   with `α_t = 1 / √(σ² + 1)`, `σ_t = σ · α_t`.
 *
 * The sigma-based forms pick σ by position, not by value, exactly as diffusers does: without a
 * begin index (a pipeline that never called `set_begin_index`) each timestep is looked up with the
 * class's own `index_for_timestep`; with one, before the first step every row gets the begin
 * index (img2img's initial latents), and after a step every row gets the step index (inpainting's
 * per-step re-noising of the known region).
 */

/** The timesteps of an `addNoise` call: one for every row, or one per batch row. */
export type AddNoiseTimesteps = number | readonly number[]

/** The per-row timesteps, checked against the batch. */
function rowTimesteps(timesteps: AddNoiseTimesteps, batch: number, what: string): number[] {
  const list = typeof timesteps === 'number' ? [timesteps] : [...timesteps]
  if (list.length === 0 || (list.length !== 1 && list.length !== batch)) {
    throw new Error(
      `${what}.addNoise: got ${list.length} timesteps for a batch of ${batch}; pass one timestep, or one per batch row`
    )
  }
  for (const t of list) {
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new Error(`${what}.addNoise: timesteps must be finite numbers (got ${String(t)})`)
    }
  }
  return list
}

/** Applies `combine(x, ε, row)` element-wise, row by row. */
function perRow(
  original: Tensor,
  noise: Tensor,
  what: string,
  combine: (x: number, n: number, row: number) => number
): Tensor {
  const x = floatData(original, `${what}.addNoise originalSamples`)
  const n = floatData(noise, `${what}.addNoise noise`)
  assertSameDims(original, noise, `${what}.addNoise`)
  const batch = original.dims[0] ?? 1
  const rowSize = batch === 0 ? 0 : x.length / batch
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    out[i] = combine(x[i] as number, n[i] as number, Math.floor(i / rowSize))
  }
  return makeTensor(out, original.dims)
}

/** The batch of `original` (its first axis). */
function batchOf(original: Tensor): number {
  return original.dims.length === 0 ? 1 : (original.dims[0] as number)
}

/** diffusers' `add_noise` of the alpha-based schedulers (DDIM, PNDM, LCM, TCD). */
export function addNoiseByAlphas(
  alphasCumprod: Float32Array,
  original: Tensor,
  noise: Tensor,
  timesteps: AddNoiseTimesteps,
  what: string
): Tensor {
  const ts = rowTimesteps(timesteps, batchOf(original), what)
  const coefficients = ts.map((t) => {
    // torch indexes alphas_cumprod with an integer tensor: a fractional or out-of-range
    // timestep is an error there too.
    if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
      throw new Error(
        `${what}.addNoise: timestep ${t} is not an integer training timestep from 0 to ${alphasCumprod.length - 1}`
      )
    }
    const a = alphasCumprod[t] as number
    return { signal: f32(Math.sqrt(a)), noise: f32(Math.sqrt(f32(1 - a))) }
  })
  return perRow(original, noise, what, (x, n, row) => {
    const c = coefficients[coefficients.length === 1 ? 0 : row] as (typeof coefficients)[0]
    return f32(f32(c.signal * x) + f32(c.noise * n))
  })
}

/** What the sigma-based forms read of a scheduler. */
export interface SigmaNoiseSource {
  readonly className: string
  readonly sigmas: readonly number[]
  readonly beginIndex: number | null
  readonly stepIndex: number | null
  indexForTimestep(t: number): number
}

/** The sigma of each row, chosen as diffusers' sigma-based `add_noise` chooses it. */
function rowSigmas(
  source: SigmaNoiseSource,
  timesteps: AddNoiseTimesteps,
  batch: number
): number[] {
  const ts = rowTimesteps(timesteps, batch, source.className)
  let indices: number[]
  if (source.beginIndex === null) indices = ts.map((t) => source.indexForTimestep(t))
  else if (source.stepIndex !== null) indices = ts.map(() => source.stepIndex as number)
  else indices = ts.map(() => source.beginIndex as number)
  return indices.map((i) => {
    const sigma = source.sigmas[i]
    if (sigma === undefined) {
      throw new Error(
        `${source.className}.addNoise: step index ${i} is past the schedule's ${source.sigmas.length} sigmas; call setTimesteps first`
      )
    }
    return f32(sigma)
  })
}

/** diffusers' `add_noise` of the variance-exploding sigma schedulers: `x + ε · σ`. */
export function addNoiseBySigma(
  source: SigmaNoiseSource,
  original: Tensor,
  noise: Tensor,
  timesteps: AddNoiseTimesteps
): Tensor {
  const sigmas = rowSigmas(source, timesteps, batchOf(original))
  return perRow(original, noise, source.className, (x, n, row) =>
    f32(x + f32(n * (sigmas[sigmas.length === 1 ? 0 : row] as number)))
  )
}

/** diffusers' `add_noise` of the variance-preserving solvers: `α_t · x + σ_t · ε`. */
export function addNoiseByAlphaSigma(
  source: SigmaNoiseSource,
  original: Tensor,
  noise: Tensor,
  timesteps: AddNoiseTimesteps
): Tensor {
  const pairs = rowSigmas(source, timesteps, batchOf(original)).map(alphaSigma)
  return perRow(original, noise, source.className, (x, n, row) => {
    const p = pairs[pairs.length === 1 ? 0 : row] as { alpha: number; sigma: number }
    return f32(f32(p.alpha * x) + f32(p.sigma * n))
  })
}
