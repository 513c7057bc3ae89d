import { addNoiseBySigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import {
  checkOneSigmaSchedule,
  eulerInitNoiseSigma,
  scaleBySigma
} from './euler-discrete-scheduler'
import { f32, interpOnIndexGrid } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { spacedFloatTimesteps } from './sigma-schedule'
import {
  exponentialSigmas,
  karrasSigmas,
  logF32,
  sigmaToT,
  sigmasFromAlphasCumprod
} from './sigmas'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link LMSDiscreteScheduler}. */
export interface LMSDiscreteSchedulerConfig extends SchedulerConfig {
  readonly use_karras_sigmas: boolean
  readonly use_exponential_sigmas: boolean
  readonly use_beta_sigmas: boolean
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
}

// 16-point Gauss–Legendre nodes and weights on [-1, 1] (the positive half): exact for the
// Lagrange polynomials LMS integrates up to order 32 (diffusers uses scipy's quad, also exact).
const GAUSS_NODES = [
  0.09501250983763745, 0.2816035507792589, 0.45801677765722737, 0.6178762444026438,
  0.755404408355003, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499
]
const GAUSS_WEIGHTS = [
  0.18945061045506859, 0.1826034150449236, 0.16915651939500262, 0.14959598881657676,
  0.12462897125553403, 0.09515851168249259, 0.062253523938647706, 0.027152459411754037
]

function integrate(fn: (x: number) => number, a: number, b: number): number {
  const half = (b - a) / 2
  const mid = (a + b) / 2
  let total = 0
  GAUSS_NODES.forEach((x, k) => {
    const w = GAUSS_WEIGHTS[k] as number
    total += w * (fn(mid - half * x) + fn(mid + half * x))
  })
  return total * half
}

/**
 * diffusers' `LMSDiscreteScheduler` (Karras et al.'s linear multistep sampler): the last `order`
 * derivatives combined with Lagrange-polynomial coefficients integrated between sigmas.
 * `timesteps` hold float32 values; `sigmas` ends with 0.
 */
export class LMSDiscreteScheduler extends Scheduler<LMSDiscreteSchedulerConfig> {
  readonly className = 'LMSDiscreteScheduler'
  /** The noise levels, from the first step's to the final 0 (float32 values). */
  sigmas: number[] = []
  private readonly trainSigmas: Float32Array
  private readonly logSigmas: Float32Array
  private derivatives: Float32Array[] = []

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'LMSDiscreteScheduler'>
  ) {
    super('LMSDiscreteScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    checkOneSigmaSchedule(this.className, this.config)
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.logSigmas = logF32(this.trainSigmas)
    // diffusers' __init__ ends with set_timesteps(num_train_timesteps).
    this.setTimesteps(this.config.num_train_timesteps)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const n = numInferenceSteps
    this.numInferenceSteps = n
    let timesteps = spacedFloatTimesteps(cfg, n)
    let sigmas = timesteps.map((t) => interpOnIndexGrid(t, this.trainSigmas))
    if (cfg.use_karras_sigmas) {
      sigmas = karrasSigmas(sigmas[sigmas.length - 1] as number, sigmas[0] as number, n)
      timesteps = sigmas.map((s) => sigmaToT(s, this.logSigmas))
    } else if (cfg.use_exponential_sigmas) {
      // diffusers reads sigma_min / sigma_max from the config when a loaded config carries them.
      const min = typeof cfg.sigma_min === 'number' ? cfg.sigma_min : sigmas[sigmas.length - 1]
      const max = typeof cfg.sigma_max === 'number' ? cfg.sigma_max : sigmas[0]
      sigmas = exponentialSigmas(min as number, max as number, n)
      timesteps = sigmas.map((s) => sigmaToT(s, this.logSigmas))
    }
    this.sigmas = [...sigmas, 0].map(f32)
    this.timesteps = timesteps.map(f32)
    this._stepIndex = null
    this._beginIndex = null
    this.derivatives = []
    this.initNoiseSigma = eulerInitNoiseSigma(this.sigmas, cfg.timestep_spacing)
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseBySigma(this, originalSamples, noise, timesteps)
  }

  override scaleModelInput(sample: Tensor, t: number): Tensor {
    const index = this.initStepIndex(t)
    return scaleBySigma(
      sample,
      this.sigmas[index] as number,
      'LMSDiscreteScheduler.scaleModelInput: sample'
    )
  }

  /** diffusers' `get_lms_coefficient`: ∫ of the Lagrange basis polynomial from sigma_t to sigma_{t+1}. */
  getLmsCoefficient(order: number, t: number, currentOrder: number): number {
    const sig = (i: number): number => this.sigmas[i] as number
    const basis = (tau: number): number => {
      let prod = 1
      for (let k = 0; k < order; k++) {
        if (k === currentOrder) continue
        prod *= (tau - sig(t - k)) / (sig(t - currentOrder) - sig(t - k))
      }
      return prod
    }
    return integrate(basis, sig(t), sig(t + 1))
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'LMSDiscreteScheduler.step')
    const maxOrder = options.order ?? 4
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 32) {
      throw new Error(
        `LMSDiscreteScheduler.step: order must be an integer from 1 to 32 (got ${maxOrder})`
      )
    }
    const m = floatData(modelOutput, 'LMSDiscreteScheduler.step: modelOutput')
    const s = floatData(sample, 'LMSDiscreteScheduler.step: sample')
    const index = this.initStepIndex(t)
    const sigma = this.sigmas[index] as number
    const size = s.length

    const x0 = new Float32Array(size)
    const pt = this.config.prediction_type
    if (pt === 'epsilon') {
      for (let i = 0; i < size; i++) x0[i] = f32((s[i] as number) - f32(sigma * (m[i] as number)))
    } else if (pt === 'sample') {
      x0.set(m)
    } else {
      const c2 = f32(f32(sigma * sigma) + 1)
      const c1 = f32(-sigma / f32(Math.sqrt(c2)))
      for (let i = 0; i < size; i++) {
        x0[i] = f32(f32((m[i] as number) * c1) + f32((s[i] as number) / c2))
      }
    }
    const derivative = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      derivative[i] = f32(f32((s[i] as number) - (x0[i] as number)) / sigma)
    }
    this.derivatives.push(derivative)
    if (this.derivatives.length > maxOrder) this.derivatives.shift()

    const order = Math.min(index + 1, maxOrder)
    const coeffs = Array.from({ length: order }, (_, k) =>
      f32(this.getLmsCoefficient(order, index, k))
    )
    const newestFirst = [...this.derivatives].reverse()
    const terms = Math.min(coeffs.length, newestFirst.length)
    const prev = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      let acc = 0
      for (let k = 0; k < terms; k++) {
        const term = f32((coeffs[k] as number) * ((newestFirst[k] as Float32Array)[i] as number))
        acc = k === 0 ? term : f32(acc + term)
      }
      prev[i] = f32((s[i] as number) + acc)
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
