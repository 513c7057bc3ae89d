import { addNoiseByAlphas, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { f32, linspace } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link TCDScheduler} (diffusers' `TCDScheduler.__init__` keys). */
export interface TCDSchedulerConfig extends SchedulerConfig {
  readonly original_inference_steps: number
  readonly clip_sample: boolean
  readonly clip_sample_range: number
  readonly set_alpha_to_one: boolean
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
  readonly timestep_scaling: number
  readonly rescale_betas_zero_snr: boolean
}

/** `eta` of {@link TCDScheduler.step} when none is given (diffusers' default). */
export const TCD_DEFAULT_ETA = 0.3

/**
 * diffusers' `TCDScheduler` (Trajectory Consistency Distillation): LCM's timestep selection from
 * the `original_inference_steps` schedule, a step to the earlier timestep s = ⌊(1 − eta)·t_prev⌋
 * and, for `eta` > 0, noise from the step's generator back up to t_prev (not after the last
 * step). `timesteps` are integers. The step output carries diffusers' `predNoisedSample` and, as
 * a Stepwise extension, `denoised` (the x0 prediction). Like diffusers, the step ignores the
 * clipping and thresholding keys its config carries.
 */
export class TCDScheduler extends Scheduler<TCDSchedulerConfig> {
  readonly className = 'TCDScheduler'

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(config: SchedulerConfigInput = {}, overrides?: SchedulerOverrides<'TCDScheduler'>) {
    super('TCDScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.timesteps = Array.from({ length: this.config.num_train_timesteps }, (_, i) => i).reverse()
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const T = this.config.num_train_timesteps
    const original = this.config.original_inference_steps
    if (original > T) {
      throw new Error(
        `TCDScheduler: original_inference_steps ${original} cannot be larger than num_train_timesteps ${T}`
      )
    }
    if (numInferenceSteps > original) {
      throw new Error(
        `TCDScheduler.setTimesteps: numInferenceSteps must be an integer from 1 to ${original} (original_inference_steps: the schedule is a subset of the distillation schedule) (got ${numInferenceSteps})`
      )
    }
    const k = Math.floor(T / original)
    const origin = Array.from({ length: original }, (_, i) => (i + 1) * k - 1).reverse()
    const indices = linspace(0, origin.length, numInferenceSteps, false).map(Math.floor)
    this.timesteps = indices.map((i) => origin[i] as number)
    this.numInferenceSteps = numInferenceSteps
    this._stepIndex = null
    this._beginIndex = null
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseByAlphas(this.alphasCumprod, originalSamples, noise, timesteps, this.className)
  }

  override scaleModelInput(sample: Tensor, _t?: number): Tensor {
    return sample
  }

  private alphaAt(t: number): number {
    const value = this.alphasCumprod[t]
    if (!Number.isInteger(t) || value === undefined) {
      throw new Error(
        `TCDScheduler: timestep ${t} is outside the training schedule (integers 0 to ${this.alphasCumprod.length - 1})`
      )
    }
    return value
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    const n = this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'TCDScheduler.step')
    const eta = options.eta ?? TCD_DEFAULT_ETA
    if (!(eta >= 0 && eta <= 1)) {
      throw new Error(`TCDScheduler.step: eta must be from 0 to 1 (got ${String(eta)})`)
    }
    const m = floatData(modelOutput, 'TCDScheduler.step: modelOutput')
    const s = floatData(sample, 'TCDScheduler.step: sample')
    const index = this.initStepIndex(t)
    const prevT = index + 1 < this.timesteps.length ? (this.timesteps[index + 1] as number) : 0
    // torch: (1 − eta) · t_prev in float32, floored to int64.
    const timestepS = Math.floor(f32(f32(1 - eta) * prevT))

    const alphaT = this.alphaAt(t)
    const alphaPrev = this.alphaAt(prevT)
    const alphaS = this.alphaAt(timestepS)
    const sqrtAlphaT = f32(Math.sqrt(alphaT))
    const sqrtBetaT = f32(Math.sqrt(f32(1 - alphaT)))
    const sqrtAlphaS = f32(Math.sqrt(alphaS))
    const sqrtBetaS = f32(Math.sqrt(f32(1 - alphaS)))
    const pt = this.config.prediction_type
    const size = s.length
    const x0 = new Float32Array(size)
    const noised = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      const mi = m[i] as number
      const si = s[i] as number
      let x: number
      let eps: number
      if (pt === 'epsilon') {
        x = f32(f32(si - f32(sqrtBetaT * mi)) / sqrtAlphaT)
        eps = mi
      } else if (pt === 'sample') {
        x = mi
        eps = f32(f32(si - f32(sqrtAlphaT * x)) / sqrtBetaT)
      } else {
        x = f32(f32(sqrtAlphaT * si) - f32(sqrtBetaT * mi))
        eps = f32(f32(sqrtAlphaT * mi) + f32(sqrtBetaT * si))
      }
      x0[i] = x
      noised[i] = f32(f32(sqrtAlphaS * x) + f32(sqrtBetaS * eps))
    }
    let prev = noised
    if (eta > 0 && index !== n - 1) {
      const noise = floatData(
        randnTensor(modelOutput.dims, { generator: options.generator }),
        'TCDScheduler.step: noise'
      )
      const ratio = f32(alphaPrev / alphaS)
      const a = f32(Math.sqrt(ratio))
      const b = f32(Math.sqrt(f32(1 - ratio)))
      prev = new Float32Array(size)
      for (let i = 0; i < size; i++) {
        prev[i] = f32(f32(a * (noised[i] as number)) + f32(b * (noise[i] as number)))
      }
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predNoisedSample: makeTensor(noised, sample.dims),
      denoised: makeTensor(x0, sample.dims)
    }
  }
}
