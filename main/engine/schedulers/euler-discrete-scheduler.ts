import { addNoiseBySigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { float32Kernels } from '../tensor/float32-kernels'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { f32, interpOnIndexGrid, torchLinspaceF32 } from './numpy-compat'
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
import { assertSameDims, float32Divisor, floatData, makeTensor } from './tensor-ops'

/** The σ values of one step (see `EulerDiscreteScheduler.sigmasAt`). */
interface SigmasOfStep {
  sigma: number
  sigmaHat: number
  gamma: number
  dt: number
}

/** The config of {@link EulerDiscreteScheduler} (diffusers' `EulerDiscreteScheduler.__init__` keys). */
export interface EulerDiscreteSchedulerConfig extends SchedulerConfig {
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction' | 'original_sample'
  readonly interpolation_type: 'linear' | 'log_linear'
  readonly use_karras_sigmas: boolean
  readonly use_exponential_sigmas: boolean
  readonly use_beta_sigmas: boolean
  readonly sigma_min: number | null
  readonly sigma_max: number | null
  readonly timestep_type: 'discrete' | 'continuous'
  readonly rescale_betas_zero_snr: boolean
  readonly final_sigmas_type: 'zero' | 'sigma_min'
}

/** `init_noise_sigma` of the Euler-family schedulers: max sigma, or sqrt(max² + 1) for "leading". */
export function eulerInitNoiseSigma(sigmas: readonly number[], spacing: string): number {
  const max = sigmas.reduce((a, b) => Math.max(a, b), -Infinity)
  return spacing === 'linspace' || spacing === 'trailing'
    ? max
    : f32(Math.sqrt(f32(f32(max * max) + 1)))
}

/** `sample / sqrt(sigma² + 1)` in float32 (the Euler-family `scale_model_input`). */
export function scaleBySigma(sample: Tensor, sigma: number, what: string): Tensor {
  const s = floatData(sample, what)
  const denom = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)))
  return makeTensor(float32Kernels.divide(s, denom), sample.dims)
}

/** Only one of Karras, exponential and beta sigmas may be on (diffusers' rule). */
export function checkOneSigmaSchedule(className: string, config: SchedulerConfig): void {
  const on = ['use_karras_sigmas', 'use_exponential_sigmas', 'use_beta_sigmas'].filter(
    (k) => config[k] === true
  )
  if (on.length > 1) {
    throw new Error(
      `${className}: only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas can be true (got ${on.join(', ')})`
    )
  }
}

/**
 * diffusers' `EulerDiscreteScheduler` (Karras et al. 2022, Algorithm 2): float32 timesteps,
 * sigmas with a trailing final sigma, optional Karras / exponential sigmas, "churn" noise via
 * `sChurn`. `timesteps` hold float32 values; `sigmas` has one more entry than `timesteps`
 * (two more with `interpolation_type: "log_linear"`, as in diffusers).
 */
export class EulerDiscreteScheduler extends Scheduler<EulerDiscreteSchedulerConfig> {
  readonly className = 'EulerDiscreteScheduler'
  /** The noise levels, from the first step's to the final one (float32 values). */
  sigmas: number[]
  private readonly trainSigmas: Float32Array
  private readonly logSigmas: Float32Array

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'EulerDiscreteScheduler'>
  ) {
    super('EulerDiscreteScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, c.rescale_betas_zero_snr) }
    })
    checkOneSigmaSchedule(this.className, this.config)
    const T = this.config.num_train_timesteps
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.logSigmas = logF32(this.trainSigmas)
    const descending = Array.from(this.trainSigmas).reverse()
    this.timesteps = this.isContinuousV()
      ? descending.map((s) => f32(0.25 * f32(Math.log(s))))
      : Array.from({ length: T }, (_, i) => f32(T - 1 - i))
    this.sigmas = [...descending, 0]
    this.initNoiseSigma = eulerInitNoiseSigma(this.sigmas, this.config.timestep_spacing)
  }

  private isContinuousV(): boolean {
    return (
      this.config.timestep_type === 'continuous' && this.config.prediction_type === 'v_prediction'
    )
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const n = numInferenceSteps
    this.numInferenceSteps = n
    let timesteps: number[] = spacedFloatTimesteps(cfg, n)
    const train = this.trainSigmas
    let sigmas: number[]
    if (cfg.interpolation_type === 'linear') {
      sigmas = timesteps.map((t) => interpOnIndexGrid(t, train))
    } else {
      const hi = f32(Math.log(train[train.length - 1] as number))
      const lo = f32(Math.log(train[0] as number))
      sigmas = Array.from(torchLinspaceF32(hi, lo, n + 1), (v) => f32(Math.exp(v)))
    }
    const sigmaMin = cfg.sigma_min ?? (sigmas[sigmas.length - 1] as number)
    const sigmaMax = cfg.sigma_max ?? (sigmas[0] as number)
    if (cfg.use_karras_sigmas || cfg.use_exponential_sigmas) {
      sigmas = cfg.use_karras_sigmas
        ? karrasSigmas(sigmaMin, sigmaMax, n)
        : exponentialSigmas(sigmaMin, sigmaMax, n)
      timesteps = sigmas.map((s) => sigmaToT(s, this.logSigmas))
    }
    const a0 = this.alphasCumprod[0] as number
    const last = cfg.final_sigmas_type === 'sigma_min' ? f32(Math.sqrt(f32(f32(1 - a0) / a0))) : 0
    this.sigmas = [...sigmas, last].map(f32)
    this.timesteps = this.isContinuousV()
      ? this.sigmas.slice(0, -1).map((s) => f32(0.25 * f32(Math.log(s))))
      : timesteps.map(f32)
    this._stepIndex = null
    this._beginIndex = null
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
      'EulerDiscreteScheduler.scaleModelInput: sample'
    )
  }

  /** Step `index`'s σ, its churned σ̂ (σ when there is no churn) and the churn γ. */
  private sigmasAt(index: number, options: SchedulerStepOptions): SigmasOfStep {
    const { sChurn = 0, sTmin = 0, sTmax = Infinity } = options
    const sigma = this.sigmas[index] as number
    const gamma =
      sTmin <= sigma && sigma <= sTmax
        ? Math.min(sChurn / (this.sigmas.length - 1), 2 ** 0.5 - 1)
        : 0
    const sigmaHat = f32(sigma * f32(gamma + 1))
    return { sigma, sigmaHat, gamma, dt: f32((this.sigmas[index + 1] as number) - sigmaHat) }
  }

  /** One pass for guidance and the step where it is SD's case: epsilon, no churn (see base). */
  override stepGuided(
    modelOutput: Tensor,
    guidanceScale: number,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput | null {
    this.checkTimestepsSet()
    if (this.config.prediction_type !== 'epsilon') return null
    const m = floatData(modelOutput, 'EulerDiscreteScheduler.stepGuided: modelOutput')
    const s = floatData(sample, 'EulerDiscreteScheduler.stepGuided: sample')
    if (m.length !== 2 * s.length || modelOutput.dims[0] !== 2 * (sample.dims[0] as number)) {
      return null
    }
    const index = this.initStepIndex(t)
    const { gamma, sigmaHat, dt } = this.sigmasAt(index, options)
    if (gamma > 0) return null
    const { x0, prev } = float32Kernels.eulerGuidedEpsilon(m, s, guidanceScale, sigmaHat, dt)
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'EulerDiscreteScheduler.step')
    const m = floatData(modelOutput, 'EulerDiscreteScheduler.step: modelOutput')
    let s = floatData(sample, 'EulerDiscreteScheduler.step: sample')
    const index = this.initStepIndex(t)
    const { sNoise = 1 } = options
    const { sigma, sigmaHat, gamma, dt } = this.sigmasAt(index, options)
    if (gamma > 0) {
      const noise = floatData(
        randnTensor(modelOutput.dims, { generator: options.generator }),
        'EulerDiscreteScheduler.step: noise'
      )
      const scale = f32(Math.sqrt(f32(f32(sigmaHat * sigmaHat) - f32(sigma * sigma))))
      const churned = new Float32Array(s.length)
      const amount = f32(sNoise)
      for (let i = 0; i < s.length; i++) {
        churned[i] = f32((s[i] as number) + f32(f32((noise[i] as number) * amount) * scale))
      }
      s = churned
    }

    const size = s.length
    const pt = this.config.prediction_type
    if (pt === 'epsilon') {
      // The common case in one pass (the same float32 operations as the two loops below).
      const { x0, prev } = float32Kernels.eulerEpsilon(m, s, sigmaHat, dt)
      this._stepIndex = index + 1
      return {
        prevSample: makeTensor(prev, sample.dims),
        predOriginalSample: makeTensor(x0, sample.dims)
      }
    }
    const x0 = new Float32Array(size)
    const prev = new Float32Array(size)
    const perSigmaHat = float32Divisor(sigmaHat)
    if (pt === 'sample' || pt === 'original_sample') {
      x0.set(m)
    } else {
      const c2 = f32(f32(sigma * sigma) + 1)
      const c1 = f32(-sigma / f32(Math.sqrt(c2)))
      for (let i = 0; i < size; i++) {
        x0[i] = f32(f32((m[i] as number) * c1) + f32((s[i] as number) / c2))
      }
    }
    for (let i = 0; i < size; i++) {
      const si = s[i] as number
      const derivative = f32(f32(si - (x0[i] as number)) * perSigmaHat)
      prev[i] = f32(si + f32(derivative * dt))
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
