import { alphaSigma } from './dpm-solver-updates'
import { f32 } from './numpy-compat'

/**
 * The second- and third-order updates of diffusers' `DPMSolverSinglestepScheduler`: from the
 * sample kept at the start of the singlestep group, with the group's model outputs, evaluated in
 * float32 in diffusers' operation order. (The first-order update is the multistep one.)
 */

/** A singlestep algorithm_type. */
export type SinglestepAlgorithm = 'dpmsolver++' | 'dpmsolver' | 'sde-dpmsolver++'

/** The inputs of a singlestep update. */
export interface SinglestepInput {
  algorithm: SinglestepAlgorithm
  solverType: 'midpoint' | 'heun'
  /** [sigma_{i+1}, sigma_i, sigma_{i−1}, sigma_{i−2}] as far as the order needs. */
  sigmas: readonly number[]
  /** Converted model outputs, newest last. */
  outputs: readonly Float32Array[]
  /** The sample at the start of the group. */
  sample: Float32Array
  noise: Float32Array | null
}

const exp = (x: number): number => f32(Math.exp(x))

function lambdaAt(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const p = alphaSigma(sigma)
  return { ...p, lambda: f32(f32(Math.log(p.alpha)) - f32(Math.log(p.sigma))) }
}

function last(outputs: readonly Float32Array[], back: number): Float32Array {
  const value = outputs[outputs.length - 1 - back]
  if (value === undefined)
    throw new Error('DPMSolverSinglestepScheduler: a model output is missing')
  return value
}

function needNoise(u: SinglestepInput): Float32Array {
  if (u.noise === null) throw new Error('DPMSolverSinglestepScheduler: no noise for the SDE update')
  return u.noise
}

/** diffusers' `singlestep_dpm_solver_second_order_update`. */
export function singlestepSecondOrder(u: SinglestepInput): Float32Array {
  const t = lambdaAt(u.sigmas[0] as number)
  const s0 = lambdaAt(u.sigmas[1] as number)
  const s1 = lambdaAt(u.sigmas[2] as number)
  const m0 = last(u.outputs, 0)
  const m1 = last(u.outputs, 1)
  const h = f32(t.lambda - s1.lambda)
  const h0 = f32(s0.lambda - s1.lambda)
  const invR0 = f32(1 / f32(h0 / h))
  const x = u.sample
  const out = new Float32Array(x.length)
  const d1 = (i: number): number => f32(invR0 * f32((m0[i] as number) - (m1[i] as number)))
  const midpoint = u.solverType === 'midpoint'
  if (u.algorithm === 'dpmsolver++') {
    const a = f32(t.sigma / s1.sigma)
    const b = f32(t.alpha * f32(exp(-h) - 1))
    const c = midpoint ? f32(0.5 * b) : f32(t.alpha * f32(f32(f32(exp(-h) - 1) / h) + 1))
    for (let i = 0; i < out.length; i++) {
      const ab = f32(f32(a * (x[i] as number)) - f32(b * (m1[i] as number)))
      out[i] = midpoint ? f32(ab - f32(c * d1(i))) : f32(ab + f32(c * d1(i)))
    }
    return out
  }
  if (u.algorithm === 'dpmsolver') {
    const a = f32(t.alpha / s1.alpha)
    const b = f32(t.sigma * f32(exp(h) - 1))
    const c = midpoint ? f32(0.5 * b) : f32(t.sigma * f32(f32(f32(exp(h) - 1) / h) - 1))
    for (let i = 0; i < out.length; i++) {
      const ab = f32(f32(a * (x[i] as number)) - f32(b * (m1[i] as number)))
      out[i] = f32(ab - f32(c * d1(i)))
    }
    return out
  }
  const noise = needNoise(u)
  const e2 = exp(f32(-2 * h))
  const a = f32(f32(t.sigma / s1.sigma) * exp(-h))
  const b = f32(t.alpha * f32(1 - e2))
  const c = midpoint ? f32(0.5 * b) : f32(t.alpha * f32(f32(f32(1 - e2) / f32(-2 * h)) + 1))
  const g = f32(t.sigma * f32(Math.sqrt(f32(1 - e2))))
  for (let i = 0; i < out.length; i++) {
    let v = f32(f32(a * (x[i] as number)) + f32(b * (m1[i] as number)))
    v = f32(v + f32(c * d1(i)))
    out[i] = f32(v + f32(g * (noise[i] as number)))
  }
  return out
}

/** diffusers' `singlestep_dpm_solver_third_order_update`. */
export function singlestepThirdOrder(u: SinglestepInput): Float32Array {
  const t = lambdaAt(u.sigmas[0] as number)
  const s0 = lambdaAt(u.sigmas[1] as number)
  const s1 = lambdaAt(u.sigmas[2] as number)
  const s2 = lambdaAt(u.sigmas[3] as number)
  const m0 = last(u.outputs, 0)
  const m1 = last(u.outputs, 1)
  const m2 = last(u.outputs, 2)
  const h = f32(t.lambda - s2.lambda)
  const r0 = f32(f32(s0.lambda - s2.lambda) / h)
  const r1 = f32(f32(s1.lambda - s2.lambda) / h)
  const invR0 = f32(1 / r0)
  const invR1 = f32(1 / r1)
  const rDiff = f32(r0 - r1)
  const midpoint = u.solverType === 'midpoint'
  const x = u.sample
  const n = x.length
  const out = new Float32Array(n)
  const h2 = f32(h * h)

  let a: number
  let b: number
  let c: number
  let e: number
  let g = 0
  let sign = 1
  if (u.algorithm === 'dpmsolver++') {
    const em1 = f32(exp(-h) - 1)
    a = f32(t.sigma / s2.sigma)
    b = f32(t.alpha * em1)
    c = f32(t.alpha * f32(f32(em1 / h) + 1))
    e = f32(t.alpha * f32(f32(f32(em1 + h) / h2) - 0.5))
  } else if (u.algorithm === 'dpmsolver') {
    const ep1 = f32(exp(h) - 1)
    a = f32(t.alpha / s2.alpha)
    b = f32(t.sigma * ep1)
    c = f32(t.sigma * f32(f32(ep1 / h) - 1))
    e = f32(t.sigma * f32(f32(f32(ep1 - h) / h2) - 0.5))
    sign = -1
  } else {
    const minus2h = f32(-2 * h)
    const one = f32(1 - exp(minus2h))
    a = f32(f32(t.sigma / s2.sigma) * exp(-h))
    b = f32(t.alpha * one)
    c = f32(t.alpha * f32(f32(one / minus2h) + 1))
    e = f32(t.alpha * f32(f32(f32(one + minus2h) / f32(minus2h * minus2h)) - 0.5))
    g = f32(t.sigma * f32(Math.sqrt(one)))
  }
  const sde = u.algorithm === 'sde-dpmsolver++'
  const noise = sde ? needNoise(u) : null
  for (let i = 0; i < n; i++) {
    const v0 = m0[i] as number
    const v1 = m1[i] as number
    const v2 = m2[i] as number
    const d10 = f32(invR1 * f32(v1 - v2))
    const d11 = f32(invR0 * f32(v0 - v2))
    const as = f32(a * (x[i] as number))
    const bd = f32(b * v2)
    // dpmsolver++ / dpmsolver subtract the D0 term; the SDE variant adds it.
    let acc = sde ? f32(as + bd) : f32(as - bd)
    if (midpoint) {
      acc = sign < 0 ? f32(acc - f32(c * d11)) : f32(acc + f32(c * d11))
    } else {
      const d1 = f32(f32(f32(r0 * d10) - f32(r1 * d11)) / rDiff)
      const d2 = f32(f32(2 * f32(d11 - d10)) / rDiff)
      if (u.algorithm === 'dpmsolver++') acc = f32(f32(acc + f32(c * d1)) - f32(e * d2))
      else if (u.algorithm === 'dpmsolver') acc = f32(f32(acc - f32(c * d1)) - f32(e * d2))
      else acc = f32(f32(acc + f32(c * d1)) + f32(e * d2))
    }
    out[i] = noise === null ? acc : f32(acc + f32(g * (noise[i] as number)))
  }
  return out
}
