import { alphaSigma } from './dpm-solver-updates'
import { f32 } from './numpy-compat'

/**
 * The predictor (UniP) and corrector (UniC) updates of diffusers' `UniPCMultistepScheduler`
 * with the B(h) variants bh1 / bh2, in float32 in diffusers' operation order. The small linear
 * systems for the coefficients are solved in double and rounded (LAPACK's float32 solve may
 * differ in the last bit).
 */

/** What both updates need. */
export interface UniPCInput {
  predictX0: boolean
  solverType: 'bh1' | 'bh2'
  /** The schedule's sigmas. */
  sigmas: readonly number[]
  /** Converted model outputs (x0 or epsilon), newest last. */
  outputs: readonly Float32Array[]
  order: number
}

function lambdaAt(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const p = alphaSigma(sigma)
  return { ...p, lambda: f32(f32(Math.log(p.alpha)) - f32(Math.log(p.sigma))) }
}

function output(outputs: readonly Float32Array[], back: number): Float32Array {
  const value = outputs[outputs.length - 1 - back]
  if (value === undefined) throw new Error('UniPCMultistepScheduler: a model output is missing')
  return value
}

/** Solves `a · x = b` by Gaussian elimination with partial pivoting (tiny systems). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length
  const m = a.map((row, i) => [...row, b[i] as number])
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(m[r]?.[col] as number) > Math.abs(m[pivot]?.[col] as number)) pivot = r
    }
    ;[m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]]
    const p = m[col] as number[]
    for (let r = col + 1; r < n; r++) {
      const row = m[r] as number[]
      const factor = (row[col] as number) / (p[col] as number)
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - factor * (p[c] as number)
    }
  }
  const x = new Array<number>(n).fill(0)
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r] as number[]
    let sum = row[n] as number
    for (let c = r + 1; c < n; c++) sum -= (row[c] as number) * (x[c] as number)
    x[r] = sum / (row[r] as number)
  }
  return x
}

/** The shared coefficient set of one update: h, the B(h) factor, the rhos' system, D1s. */
interface Coefficients {
  alphaT: number
  sigmaT: number
  alphaS0: number
  sigmaS0: number
  hPhi1: number
  bH: number
  /** rows R[k][j] = rks[j]^k and right-hand side b[k], k = 0 … order − 1. */
  r: number[][]
  b: number[]
  d1s: Float32Array[]
}

/**
 * h, rks, D1s and the R / b system of `multistep_uni_p_bh_update` (target `t`, base `s0`, earlier
 * points `previous[k]` with their model outputs, newest first).
 */
function coefficients(
  u: UniPCInput,
  sigmaT: number,
  sigmaS0: number,
  previous: readonly { sigma: number; output: Float32Array }[],
  m0: Float32Array
): Coefficients {
  const t = lambdaAt(sigmaT)
  const s0 = lambdaAt(sigmaS0)
  const h = f32(t.lambda - s0.lambda)
  const rks: number[] = []
  const d1s: Float32Array[] = []
  for (const p of previous) {
    const si = lambdaAt(p.sigma)
    const rk = f32(f32(si.lambda - s0.lambda) / h)
    rks.push(rk)
    const d = new Float32Array(m0.length)
    for (let i = 0; i < d.length; i++) {
      d[i] = f32(f32((p.output[i] as number) - (m0[i] as number)) / rk)
    }
    d1s.push(d)
  }
  rks.push(1)
  const hh = u.predictX0 ? -h : h
  const hPhi1 = f32(Math.expm1(hh))
  let hPhiK = f32(f32(hPhi1 / hh) - 1)
  let factorial = 1
  const bH = u.solverType === 'bh1' ? hh : f32(Math.expm1(hh))
  const r: number[][] = []
  const b: number[] = []
  for (let k = 1; k <= u.order; k++) {
    r.push(rks.map((x) => (k === 1 ? 1 : k === 2 ? x : f32(x ** (k - 1)))))
    b.push(f32(f32(hPhiK * factorial) / bH))
    factorial *= k + 1
    hPhiK = f32(f32(hPhiK / hh) - f32(1 / factorial))
  }
  return {
    alphaT: t.alpha,
    sigmaT: t.sigma,
    alphaS0: s0.alpha,
    sigmaS0: s0.sigma,
    hPhi1,
    bH,
    r,
    b,
    d1s
  }
}

/** `x_t_`: the first-order part shared by predictor and corrector. */
function firstOrderPart(
  u: UniPCInput,
  c: Coefficients,
  x: Float32Array,
  m0: Float32Array
): Float32Array {
  const a = u.predictX0 ? f32(c.sigmaT / c.sigmaS0) : f32(c.alphaT / c.alphaS0)
  const k = u.predictX0 ? f32(c.alphaT * c.hPhi1) : f32(c.sigmaT * c.hPhi1)
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    out[i] = f32(f32(a * (x[i] as number)) - f32(k * (m0[i] as number)))
  }
  return out
}

/** `einsum("k,bkc...->bc...", rhos, D1s)` at element i. */
function weighted(rhos: readonly number[], d1s: readonly Float32Array[], i: number): number {
  // A plain loop: this runs once per element, and a closure per call cost a third of the step.
  let acc = 0
  for (let k = 0; k < d1s.length; k++) {
    const term = f32((rhos[k] as number) * ((d1s[k] as Float32Array)[i] as number))
    acc = k === 0 ? term : f32(acc + term)
  }
  return acc
}

/** diffusers' `multistep_uni_p_bh_update` (the predictor) at step `index` from sample `x`. */
export function uniPredictor(u: UniPCInput, index: number, x: Float32Array): Float32Array {
  const m0 = output(u.outputs, 0)
  const previous = Array.from({ length: u.order - 1 }, (_, j) => ({
    sigma: u.sigmas[index - (j + 1)] as number,
    output: output(u.outputs, j + 1)
  }))
  const c = coefficients(u, u.sigmas[index + 1] as number, u.sigmas[index] as number, previous, m0)
  const base = firstOrderPart(u, c, x, m0)
  const scale = u.predictX0 ? f32(c.alphaT * c.bH) : f32(c.sigmaT * c.bH)
  // In place, with plain loops: `base` is this update's own array, and `TypedArray.map` costs
  // several times a loop over 16 K elements a step.
  if (c.d1s.length === 0) {
    const none = f32(scale * 0)
    for (let i = 0; i < base.length; i++) base[i] = f32((base[i] as number) - none)
    return base
  }
  const rhos =
    u.order === 2
      ? [0.5]
      : solve(
          c.r.slice(0, -1).map((row) => row.slice(0, -1)),
          c.b.slice(0, -1)
        ).map(f32)
  for (let i = 0; i < base.length; i++) {
    base[i] = f32((base[i] as number) - f32(scale * weighted(rhos, c.d1s, i)))
  }
  return base
}

/**
 * diffusers' `multistep_uni_c_bh_update` (the corrector) at step `index`: corrects `thisSample`
 * (the previous step's prediction) from `lastSample` with the new model output `modelT`; the
 * outputs are those before `modelT` was added.
 */
export function uniCorrector(
  u: UniPCInput,
  index: number,
  lastSample: Float32Array,
  modelT: Float32Array
): Float32Array {
  const m0 = output(u.outputs, 0)
  const previous = Array.from({ length: u.order - 1 }, (_, j) => ({
    sigma: u.sigmas[index - (j + 2)] as number,
    output: output(u.outputs, j + 1)
  }))
  const c = coefficients(u, u.sigmas[index] as number, u.sigmas[index - 1] as number, previous, m0)
  const base = firstOrderPart(u, c, lastSample, m0)
  const scale = u.predictX0 ? f32(c.alphaT * c.bH) : f32(c.sigmaT * c.bH)
  const rhos = u.order === 1 ? [0.5] : solve(c.r, c.b).map(f32)
  const last = rhos[rhos.length - 1] as number
  for (let i = 0; i < base.length; i++) {
    const d1t = f32((modelT[i] as number) - (m0[i] as number))
    const own = f32(last * d1t)
    const inner = c.d1s.length === 0 ? own : f32(weighted(rhos, c.d1s, i) + own)
    base[i] = f32((base[i] as number) - f32(scale * inner))
  }
  return base
}
