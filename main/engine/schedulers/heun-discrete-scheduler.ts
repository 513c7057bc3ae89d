import { addNoiseBySigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import {
  checkOneSigmaSchedule,
  eulerInitNoiseSigma,
  scaleBySigma
} from './euler-discrete-scheduler'
import { f32 } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { baseSigmaSchedule } from './second-order-schedule'
import type { SigmaScheduleConfig } from './second-order-schedule'
import { logF32, sigmasFromAlphasCumprod } from './sigmas'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link HeunDiscreteScheduler} (diffusers' `HeunDiscreteScheduler.__init__` keys). */
export interface HeunDiscreteSchedulerConfig extends SigmaScheduleConfig {
  readonly prediction_type: 'epsilon' | 'v_prediction' | 'sample'
  readonly use_beta_sigmas: boolean
  readonly clip_sample: boolean
  readonly clip_sample_range: number
}

/**
 * The model's x0 estimate at noise level `sigma` (epsilon, v or sample prediction), float32 in
 * diffusers' operation order; shared by the second-order discrete schedulers.
 */
export function x0FromSigma(
  predictionType: string,
  m: Float32Array,
  s: Float32Array,
  sigma: number
): Float32Array {
  const size = s.length
  const x0 = new Float32Array(size)
  if (predictionType === 'sample') {
    x0.set(m)
  } else if (predictionType === 'epsilon') {
    for (let i = 0; i < size; i++) x0[i] = f32((s[i] as number) - f32(sigma * (m[i] as number)))
  } else {
    const c2 = f32(f32(sigma * sigma) + 1)
    const c1 = f32(-sigma / f32(Math.sqrt(c2)))
    for (let i = 0; i < size; i++) {
      x0[i] = f32(f32((m[i] as number) * c1) + f32((s[i] as number) / c2))
    }
  }
  return x0
}

/**
 * diffusers' `HeunDiscreteScheduler` (Karras et al. 2022, Algorithm 1): each step is an Euler
 * step to the next sigma followed by a correction that averages the two derivatives, so the
 * scheduler has `order` 2 and its `timesteps` list every timestep after the first twice: N steps
 * run 2·N − 1 model evaluations. `timesteps` hold float32 values.
 */
export class HeunDiscreteScheduler extends Scheduler<HeunDiscreteSchedulerConfig> {
  readonly className = 'HeunDiscreteScheduler'
  /** The noise levels, interior ones doubled like the timesteps, ending with 0 (float32 values). */
  sigmas: number[] = []
  private readonly trainSigmas: Float32Array
  private readonly logSigmas: Float32Array
  private prevDerivative: Float32Array | null = null
  private dt: number | null = null
  private firstSample: Float32Array | null = null

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'HeunDiscreteScheduler'>
  ) {
    super('HeunDiscreteScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.order = 2
    checkOneSigmaSchedule(this.className, this.config)
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.logSigmas = logF32(this.trainSigmas)
    // diffusers' __init__ ends with set_timesteps(num_train_timesteps).
    this.setTimesteps(this.config.num_train_timesteps)
  }

  /** Whether the next step is the first (Euler) half of a Heun step (diffusers' `state_in_first_order`). */
  get stateInFirstOrder(): boolean {
    return this.dt === null
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const base = baseSigmaSchedule(cfg, numInferenceSteps, this.trainSigmas, this.logSigmas, false)
    const sigmas = [...base.sigmas, 0].map(f32)
    this.sigmas = [
      sigmas[0] as number,
      ...sigmas.slice(1, -1).flatMap((s) => [s, s]),
      sigmas[sigmas.length - 1] as number
    ]
    const timesteps = base.timesteps.map(f32)
    this.timesteps = [timesteps[0] as number, ...timesteps.slice(1).flatMap((t) => [t, t])]
    this.numInferenceSteps = numInferenceSteps
    this.prevDerivative = null
    this.dt = null
    this.firstSample = null
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
      'HeunDiscreteScheduler.scaleModelInput: sample'
    )
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    _options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'HeunDiscreteScheduler.step')
    const m = floatData(modelOutput, 'HeunDiscreteScheduler.step: modelOutput')
    const s = floatData(sample, 'HeunDiscreteScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)
    const first = this.stateInFirstOrder
    const sigma = this.sigmas[first ? index : index - 1] as number
    const sigmaNext = this.sigmas[first ? index + 1 : index] as number
    const size = s.length

    const x0 = x0FromSigma(cfg.prediction_type, m, s, first ? sigma : sigmaNext)
    if (cfg.clip_sample) {
      const r = f32(cfg.clip_sample_range)
      for (let i = 0; i < size; i++) x0[i] = Math.min(Math.max(x0[i] as number, -r), r)
    }

    const derivative = new Float32Array(size)
    let base = s
    let dt: number
    if (first) {
      for (let i = 0; i < size; i++) {
        derivative[i] = f32(f32((s[i] as number) - (x0[i] as number)) / sigma)
      }
      dt = f32(sigmaNext - sigma)
      this.prevDerivative = derivative
      this.dt = dt
      this.firstSample = s
    } else {
      const previous = this.prevDerivative as Float32Array
      for (let i = 0; i < size; i++) {
        const d = f32(f32((s[i] as number) - (x0[i] as number)) / sigmaNext)
        derivative[i] = f32(f32((previous[i] as number) + d) / 2)
      }
      dt = this.dt as number
      base = this.firstSample as Float32Array
      this.prevDerivative = null
      this.dt = null
      this.firstSample = null
    }
    const prev = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      prev[i] = f32((base[i] as number) + f32((derivative[i] as number) * dt))
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
