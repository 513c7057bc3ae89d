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
import { dynamicThreshold } from './thresholding'

/** The config of {@link LCMScheduler}. */
export interface LCMSchedulerConfig extends SchedulerConfig {
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

/**
 * diffusers' `LCMScheduler` (latent consistency models): timesteps picked from the
 * `original_inference_steps` distillation schedule, a consistency-function denoise each step and
 * fresh noise from the step's generator between steps. `timesteps` are integers; the step output
 * carries `denoised` as diffusers' does (there is no `pred_original_sample`).
 */
export class LCMScheduler extends Scheduler<LCMSchedulerConfig> {
  readonly className = 'LCMScheduler'
  /** alphas_cumprod used "before" t = 0. */
  readonly finalAlphaCumprod: number

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(config: SchedulerConfigInput = {}, overrides?: SchedulerOverrides<'LCMScheduler'>) {
    super('LCMScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number)
    this.timesteps = Array.from({ length: this.config.num_train_timesteps }, (_, i) => i).reverse()
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const T = this.config.num_train_timesteps
    const original = this.config.original_inference_steps
    if (original > T) {
      throw new Error(
        `LCMScheduler: original_inference_steps ${original} cannot be larger than num_train_timesteps ${T}`
      )
    }
    if (numInferenceSteps > original) {
      throw new Error(
        `LCMScheduler.setTimesteps: numInferenceSteps must be an integer from 1 to ${original} (original_inference_steps: the schedule is a subset of the distillation schedule) (got ${numInferenceSteps})`
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
    const value = t >= 0 ? this.alphasCumprod[t] : this.finalAlphaCumprod
    if (!Number.isInteger(t) || value === undefined) {
      throw new Error(
        `LCMScheduler: timestep ${t} is outside the training schedule (integers 0 to ${this.alphasCumprod.length - 1})`
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
    assertSameDims(modelOutput, sample, 'LCMScheduler.step')
    const m = floatData(modelOutput, 'LCMScheduler.step: modelOutput')
    const s = floatData(sample, 'LCMScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)
    const prevT = index + 1 < this.timesteps.length ? (this.timesteps[index + 1] as number) : t

    const alphaT = this.alphaAt(t)
    const alphaPrev = this.alphaAt(prevT)
    const sqrtAlphaT = f32(Math.sqrt(alphaT))
    const sqrtBetaT = f32(Math.sqrt(f32(1 - alphaT)))

    // Boundary-condition scalings, in float32 as diffusers evaluates them on a timestep tensor.
    const scaled = f32(t * f32(cfg.timestep_scaling))
    const scaled2 = f32(f32(scaled * scaled) + 0.25)
    const cSkip = f32(0.25 / scaled2)
    const cOut = f32(scaled / f32(Math.sqrt(scaled2)))

    const size = s.length
    const x0 = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      const mi = m[i] as number
      const si = s[i] as number
      if (cfg.prediction_type === 'epsilon') x0[i] = f32(f32(si - f32(sqrtBetaT * mi)) / sqrtAlphaT)
      else if (cfg.prediction_type === 'sample') x0[i] = mi
      else x0[i] = f32(f32(sqrtAlphaT * si) - f32(sqrtBetaT * mi))
    }
    if (cfg.thresholding) {
      dynamicThreshold(
        x0,
        sample.dims[0] ?? 1,
        cfg.dynamic_thresholding_ratio,
        cfg.sample_max_value
      )
    } else if (cfg.clip_sample) {
      const r = f32(cfg.clip_sample_range)
      for (let i = 0; i < size; i++) x0[i] = Math.min(Math.max(x0[i] as number, -r), r)
    }
    const denoised = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      denoised[i] = f32(f32(cOut * (x0[i] as number)) + f32(cSkip * (s[i] as number)))
    }
    let prev = denoised
    if (index !== n - 1) {
      const noise = floatData(
        randnTensor(modelOutput.dims, { generator: options.generator }),
        'LCMScheduler.step: noise'
      )
      const a = f32(Math.sqrt(alphaPrev))
      const b = f32(Math.sqrt(f32(1 - alphaPrev)))
      prev = new Float32Array(size)
      for (let i = 0; i < size; i++) {
        prev[i] = f32(f32(a * (denoised[i] as number)) + f32(b * (noise[i] as number)))
      }
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      denoised: makeTensor(denoised, sample.dims)
    }
  }
}
