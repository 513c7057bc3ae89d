import { float32Kernels } from '../tensor/float32-kernels'
import { f32 } from './numpy-compat'

/**
 * The multistep DPM-Solver updates of diffusers' `DPMSolverMultistepScheduler` (first, second and
 * third order; dpmsolver++, dpmsolver and their SDE variants), evaluated in float32 in diffusers'
 * operation order. Inputs are sigmas; data are flat float32 arrays of one shape.
 */

/** A DPM-Solver algorithm_type. */
export type DpmAlgorithm = 'dpmsolver++' | 'sde-dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver'

/** A DPM-Solver solver_type. */
export type DpmSolverType = 'midpoint' | 'heun'

/** alpha_t and sigma_t of the variance-preserving process at noise level `sigma` (float32). */
export function alphaSigma(sigma: number): { alpha: number; sigma: number } {
  const alpha = f32(1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1))))
  return { alpha, sigma: f32(sigma * alpha) }
}

function lambdaOf(p: { alpha: number; sigma: number }): number {
  return f32(f32(Math.log(p.alpha)) - f32(Math.log(p.sigma)))
}

const exp = (x: number): number => f32(Math.exp(x))

/** The shared inputs of an update. */
export interface UpdateInput {
  algorithm: DpmAlgorithm
  solverType: DpmSolverType
  /** Sigmas from the target down: [sigma_{i+1}, sigma_i, sigma_{i-1}, sigma_{i-2}] as needed. */
  sigmas: readonly number[]
  /** Converted model outputs, newest last. */
  outputs: readonly Float32Array[]
  sample: Float32Array
  noise: Float32Array | null
}

function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`DPMSolverMultistepScheduler: ${what}`)
  return value
}

/** diffusers' `dpm_solver_first_order_update`. */
export function firstOrderUpdate(u: UpdateInput): Float32Array {
  const t = alphaSigma(u.sigmas[0] as number)
  const s = alphaSigma(u.sigmas[1] as number)
  const h = f32(lambdaOf(t) - lambdaOf(s))
  const x = need(u.outputs[u.outputs.length - 1], 'no model output')
  const sample = u.sample
  const out = new Float32Array(sample.length)
  switch (u.algorithm) {
    case 'dpmsolver++':
      // a·s − b·x0, in the engine's SIMD kernel (the same float32 operations).
      return float32Kernels.dpmFirstOrder(
        sample,
        x,
        f32(t.sigma / s.sigma),
        f32(t.alpha * f32(exp(-h) - 1))
      )
    case 'dpmsolver': {
      const a = f32(t.alpha / s.alpha)
      const b = f32(t.sigma * f32(exp(h) - 1))
      for (let i = 0; i < out.length; i++) {
        out[i] = f32(f32(a * (sample[i] as number)) - f32(b * (x[i] as number)))
      }
      return out
    }
    case 'sde-dpmsolver++': {
      const noise = need(u.noise, 'no noise for the SDE update')
      const e2 = exp(f32(-2 * h))
      const a = f32(f32(t.sigma / s.sigma) * exp(-h))
      const b = f32(t.alpha * f32(1 - e2))
      const c = f32(t.sigma * f32(Math.sqrt(f32(1 - e2))))
      for (let i = 0; i < out.length; i++) {
        const ab = f32(f32(a * (sample[i] as number)) + f32(b * (x[i] as number)))
        out[i] = f32(ab + f32(c * (noise[i] as number)))
      }
      return out
    }
    case 'sde-dpmsolver': {
      const noise = need(u.noise, 'no noise for the SDE update')
      const a = f32(t.alpha / s.alpha)
      const b = f32(2 * f32(t.sigma * f32(exp(h) - 1)))
      const c = f32(t.sigma * f32(Math.sqrt(f32(exp(f32(2 * h)) - 1))))
      for (let i = 0; i < out.length; i++) {
        const ab = f32(f32(a * (sample[i] as number)) - f32(b * (x[i] as number)))
        out[i] = f32(ab + f32(c * (noise[i] as number)))
      }
      return out
    }
  }
}

/** diffusers' `multistep_dpm_solver_second_order_update`. */
export function secondOrderUpdate(u: UpdateInput): Float32Array {
  const t = alphaSigma(u.sigmas[0] as number)
  const s0 = alphaSigma(u.sigmas[1] as number)
  const s1 = alphaSigma(u.sigmas[2] as number)
  const lt = lambdaOf(t)
  const l0 = lambdaOf(s0)
  const l1 = lambdaOf(s1)
  const h = f32(lt - l0)
  const r0 = f32(f32(l0 - l1) / h)
  const m0 = need(u.outputs[u.outputs.length - 1], 'missing model output')
  const m1 = need(u.outputs[u.outputs.length - 2], 'missing previous model output')
  const invR0 = f32(1 / r0)
  const sample = u.sample
  const n = sample.length
  const out = new Float32Array(n)
  const d1 = (i: number): number => f32(invR0 * f32((m0[i] as number) - (m1[i] as number)))

  if (u.algorithm === 'dpmsolver++') {
    const a = f32(t.sigma / s0.sigma)
    const em1 = f32(exp(-h) - 1)
    const b = f32(t.alpha * em1)
    if (u.solverType === 'midpoint') {
      // SD's default (DPM++ 2M) in the engine's SIMD kernel: the same float32 operations.
      return float32Kernels.dpmSecondOrderMidpoint(sample, m0, m1, {
        a,
        b,
        c: f32(0.5 * b),
        invR0
      })
    }
    const c = f32(t.alpha * f32(f32(em1 / h) + 1))
    for (let i = 0; i < n; i++) {
      const ab = f32(f32(a * (sample[i] as number)) - f32(b * (m0[i] as number)))
      out[i] = f32(ab + f32(c * d1(i)))
    }
    return out
  }
  if (u.algorithm === 'dpmsolver') {
    const a = f32(t.alpha / s0.alpha)
    const ep1 = f32(exp(h) - 1)
    const b = f32(t.sigma * ep1)
    const c = u.solverType === 'midpoint' ? f32(0.5 * b) : f32(t.sigma * f32(f32(ep1 / h) - 1))
    for (let i = 0; i < n; i++) {
      const ab = f32(f32(a * (sample[i] as number)) - f32(b * (m0[i] as number)))
      out[i] = f32(ab - f32(c * d1(i)))
    }
    return out
  }
  const noise = need(u.noise, 'no noise for the SDE update')
  if (u.algorithm === 'sde-dpmsolver++') {
    const e2 = exp(f32(-2 * h))
    const a = f32(f32(t.sigma / s0.sigma) * exp(-h))
    const b = f32(t.alpha * f32(1 - e2))
    const c =
      u.solverType === 'midpoint'
        ? f32(0.5 * b)
        : f32(t.alpha * f32(f32(f32(1 - e2) / f32(-2 * h)) + 1))
    const g = f32(t.sigma * f32(Math.sqrt(f32(1 - e2))))
    for (let i = 0; i < n; i++) {
      const ab = f32(f32(a * (sample[i] as number)) + f32(b * (m0[i] as number)))
      const abc = f32(ab + f32(c * d1(i)))
      out[i] = f32(abc + f32(g * (noise[i] as number)))
    }
    return out
  }
  const a = f32(t.alpha / s0.alpha)
  const ep1 = f32(exp(h) - 1)
  const b = f32(2 * f32(t.sigma * ep1))
  const c =
    u.solverType === 'midpoint' ? f32(t.sigma * ep1) : f32(2 * f32(t.sigma * f32(f32(ep1 / h) - 1)))
  const g = f32(t.sigma * f32(Math.sqrt(f32(exp(f32(2 * h)) - 1))))
  for (let i = 0; i < n; i++) {
    const ab = f32(f32(a * (sample[i] as number)) - f32(b * (m0[i] as number)))
    const abc = f32(ab - f32(c * d1(i)))
    out[i] = f32(abc + f32(g * (noise[i] as number)))
  }
  return out
}

/** diffusers' `multistep_dpm_solver_third_order_update` (no sde-dpmsolver variant, as in diffusers). */
export function thirdOrderUpdate(u: UpdateInput): Float32Array {
  const t = alphaSigma(u.sigmas[0] as number)
  const s0 = alphaSigma(u.sigmas[1] as number)
  const s1 = alphaSigma(u.sigmas[2] as number)
  const s2 = alphaSigma(u.sigmas[3] as number)
  const lt = lambdaOf(t)
  const l0 = lambdaOf(s0)
  const l1 = lambdaOf(s1)
  const l2 = lambdaOf(s2)
  const h = f32(lt - l0)
  const r0 = f32(f32(l0 - l1) / h)
  const r1 = f32(f32(l1 - l2) / h)
  const len = u.outputs.length
  const m0 = need(u.outputs[len - 1], 'missing model output')
  const m1 = need(u.outputs[len - 2], 'missing previous model output')
  const m2 = need(u.outputs[len - 3], 'missing model output two steps back')
  const invR0 = f32(1 / r0)
  const invR1 = f32(1 / r1)
  const r01 = f32(r0 + r1)
  const w1 = f32(r0 / r01)
  const w2 = f32(1 / r01)
  const sample = u.sample
  const n = sample.length
  const out = new Float32Array(n)

  let a: number
  let b: number
  let c: number
  let e: number
  let g = 0
  const h2 = f32(h * h)
  if (u.algorithm === 'dpmsolver++') {
    const em1 = f32(exp(-h) - 1)
    a = f32(t.sigma / s0.sigma)
    b = f32(t.alpha * em1)
    c = f32(t.alpha * f32(f32(em1 / h) + 1))
    e = f32(t.alpha * f32(f32(f32(em1 + h) / h2) - 0.5))
  } else if (u.algorithm === 'dpmsolver') {
    const ep1 = f32(exp(h) - 1)
    a = f32(t.alpha / s0.alpha)
    b = f32(t.sigma * ep1)
    c = f32(t.sigma * f32(f32(ep1 / h) - 1))
    e = f32(t.sigma * f32(f32(f32(ep1 - h) / h2) - 0.5))
  } else if (u.algorithm === 'sde-dpmsolver++') {
    const one = f32(1 - exp(f32(-2 * h)))
    const twoH = f32(2 * h)
    a = f32(f32(t.sigma / s0.sigma) * exp(-h))
    b = f32(t.alpha * one)
    c = f32(t.alpha * f32(f32(one / f32(-2 * h)) + 1))
    e = f32(t.alpha * f32(f32(f32(one - twoH) / f32(twoH * twoH)) - 0.5))
    g = f32(t.sigma * f32(Math.sqrt(one)))
  } else {
    throw new Error('DPMSolverMultistepScheduler: sde-dpmsolver has no third-order update')
  }
  const noise =
    u.algorithm === 'sde-dpmsolver++' ? need(u.noise, 'no noise for the SDE update') : null
  const plus = u.algorithm !== 'dpmsolver'
  for (let i = 0; i < n; i++) {
    const v0 = m0[i] as number
    const v1 = m1[i] as number
    const d10 = f32(invR0 * f32(v0 - v1))
    const d11 = f32(invR1 * f32(v1 - (m2[i] as number)))
    const diff = f32(d10 - d11)
    const d1 = f32(d10 + f32(w1 * diff))
    const d2 = f32(w2 * diff)
    const as = f32(a * (sample[i] as number))
    if (u.algorithm === 'dpmsolver++') {
      out[i] = f32(f32(f32(as - f32(b * v0)) + f32(c * d1)) - f32(e * d2))
    } else if (!plus) {
      out[i] = f32(f32(f32(as - f32(b * v0)) - f32(c * d1)) - f32(e * d2))
    } else {
      const sum = f32(f32(f32(as + f32(b * v0)) + f32(c * d1)) + f32(e * d2))
      out[i] = f32(sum + f32(g * ((noise as Float32Array)[i] as number)))
    }
  }
  return out
}
