import { addNoiseByAlphas, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { float32Kernels } from '../tensor/float32-kernels'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { arange, f32, linspace, roundHalfEven } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'
import { dynamicThreshold } from './thresholding'

/** The config of {@link DDIMScheduler} (diffusers' `DDIMScheduler.__init__` keys). */
export interface DDIMSchedulerConfig extends SchedulerConfig {
  readonly clip_sample: boolean
  readonly set_alpha_to_one: boolean
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly clip_sample_range: number
  readonly sample_max_value: number
  readonly rescale_betas_zero_snr: boolean
}

/**
 * Integer timesteps for `n` steps with diffusers' `timestep_spacing` rules (DDIM, and the
 * int64-timestep schedulers that copy it): "linspace" rounds evenly spaced values (half to even),
 * "leading" counts up from 0 in steps of ⌊T/n⌋ plus `steps_offset`, "trailing" counts down from T.
 */
export function spacedIntegerTimesteps(config: SchedulerConfig, n: number): number[] {
  const T = config.num_train_timesteps
  switch (config.timestep_spacing) {
    case 'linspace':
      return linspace(0, T - 1, n)
        .map(roundHalfEven)
        .reverse()
    case 'leading': {
      const ratio = Math.floor(T / n)
      return Array.from({ length: n }, (_, i) => i * ratio + config.steps_offset).reverse()
    }
    case 'trailing':
      return arange(T, 0, -T / n).map((v) => roundHalfEven(v) - 1)
  }
}

/**
 * diffusers' `DDIMScheduler` (Song et al., Denoising Diffusion Implicit Models): deterministic
 * for `eta` = 0, with `eta` > 0 adding noise from the step's generator exactly as diffusers does.
 * `timesteps` are integers.
 */
export class DDIMScheduler extends Scheduler<DDIMSchedulerConfig> {
  readonly className = 'DDIMScheduler'
  override readonly hasBeginIndex = false
  /** alphas_cumprod used "before" t = 0: 1 with `set_alpha_to_one`, else alphas_cumprod[0]. */
  readonly finalAlphaCumprod: number

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(config: SchedulerConfigInput = {}, overrides?: SchedulerOverrides<'DDIMScheduler'>) {
    super('DDIMScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number)
    this.timesteps = Array.from({ length: this.config.num_train_timesteps }, (_, i) => i).reverse()
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    this.numInferenceSteps = numInferenceSteps
    this.timesteps = spacedIntegerTimesteps(this.config, numInferenceSteps)
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
        `DDIMScheduler: timestep ${t} is outside the training schedule (integers 0 to ${this.alphasCumprod.length - 1})`
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
    assertSameDims(modelOutput, sample, 'DDIMScheduler.step')
    const m = floatData(modelOutput, 'DDIMScheduler.step: modelOutput')
    const s = floatData(sample, 'DDIMScheduler.step: sample')
    const eta = options.eta ?? 0
    const cfg = this.config

    const prevT = t - Math.floor(cfg.num_train_timesteps / n)
    const alphaT = this.alphaAt(t)
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod
    const betaT = f32(1 - alphaT)
    const sqrtAlphaT = f32(Math.sqrt(alphaT))
    const sqrtBetaT = f32(Math.sqrt(betaT))

    const betaPrev = f32(1 - alphaPrev)
    const variance = f32(f32(betaPrev / betaT) * f32(1 - f32(alphaT / alphaPrev)))
    const stdDev = f32(f32(eta) * f32(Math.sqrt(variance)))
    const dirCoeff = f32(Math.sqrt(f32(f32(1 - alphaPrev) - f32(stdDev * stdDev))))
    const sqrtAlphaPrev = f32(Math.sqrt(alphaPrev))
    const plain =
      cfg.prediction_type === 'epsilon' &&
      !cfg.thresholding &&
      !cfg.clip_sample &&
      options.useClippedModelOutput !== true
    if (plain) {
      // The common case (SD's config) in the SIMD kernel: the same float32 operations.
      const { x0, prev } = float32Kernels.ddimEpsilon(m, s, {
        sqrtBetaT,
        sqrtAlphaT,
        sqrtAlphaPrev,
        direction: dirCoeff
      })
      return this.withVarianceNoise(x0, prev, eta, stdDev, modelOutput, sample, options)
    }
    const size = s.length
    const x0 = new Float32Array(size)
    const eps = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      const mi = m[i] as number
      const si = s[i] as number
      if (cfg.prediction_type === 'epsilon') {
        x0[i] = f32(f32(si - f32(sqrtBetaT * mi)) / sqrtAlphaT)
        eps[i] = mi
      } else if (cfg.prediction_type === 'sample') {
        x0[i] = mi
        eps[i] = f32(f32(si - f32(sqrtAlphaT * mi)) / sqrtBetaT)
      } else {
        x0[i] = f32(f32(sqrtAlphaT * si) - f32(sqrtBetaT * mi))
        eps[i] = f32(f32(sqrtAlphaT * mi) + f32(sqrtBetaT * si))
      }
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

    if (options.useClippedModelOutput === true) {
      for (let i = 0; i < size; i++) {
        eps[i] = f32(f32((s[i] as number) - f32(sqrtAlphaT * (x0[i] as number))) / sqrtBetaT)
      }
    }
    const prev = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      prev[i] = f32(f32(sqrtAlphaPrev * (x0[i] as number)) + f32(dirCoeff * (eps[i] as number)))
    }
    return this.withVarianceNoise(x0, prev, eta, stdDev, modelOutput, sample, options)
  }

  /** diffusers' `eta > 0` branch: `prev += σ_t · noise`, then the step's output. */
  private withVarianceNoise(
    x0: Float32Array,
    prev: Float32Array,
    eta: number,
    stdDev: number,
    modelOutput: Tensor,
    sample: Tensor,
    options: SchedulerStepOptions
  ): SchedulerStepOutput {
    const size = prev.length
    if (eta > 0) {
      if (options.varianceNoise !== undefined && options.generator !== undefined) {
        throw new Error(
          'DDIMScheduler.step: pass either generator or varianceNoise, not both (diffusers rule)'
        )
      }
      const noiseTensor =
        options.varianceNoise ?? randnTensor(modelOutput.dims, { generator: options.generator })
      assertSameDims(noiseTensor, sample, 'DDIMScheduler.step: varianceNoise')
      const noise = floatData(noiseTensor, 'DDIMScheduler.step: varianceNoise')
      for (let i = 0; i < size; i++) {
        prev[i] = f32((prev[i] as number) + f32(stdDev * (noise[i] as number)))
      }
    }
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
