import { addNoiseBySigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { eulerInitNoiseSigma, scaleBySigma } from './euler-discrete-scheduler'
import { f32, interpOnIndexGrid } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { spacedFloatTimesteps } from './sigma-schedule'
import { sigmasFromAlphasCumprod } from './sigmas'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link EulerAncestralDiscreteScheduler}. */
export interface EulerAncestralDiscreteSchedulerConfig extends SchedulerConfig {
  readonly prediction_type: 'epsilon' | 'v_prediction'
  readonly rescale_betas_zero_snr: boolean
}

/**
 * diffusers' `EulerAncestralDiscreteScheduler`: an Euler step down to sigma_down plus fresh noise
 * of size sigma_up, drawn every step from the step's generator with the sample's shape, exactly
 * as diffusers draws it. `timesteps` hold float32 values; `sigmas` ends with 0.
 */
export class EulerAncestralDiscreteScheduler extends Scheduler<EulerAncestralDiscreteSchedulerConfig> {
  readonly className = 'EulerAncestralDiscreteScheduler'
  /** The noise levels, from the first step's to the final 0 (float32 values). */
  sigmas: number[]
  private readonly trainSigmas: Float32Array

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'EulerAncestralDiscreteScheduler'>
  ) {
    super('EulerAncestralDiscreteScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, c.rescale_betas_zero_snr) }
    })
    const T = this.config.num_train_timesteps
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.sigmas = [...Array.from(this.trainSigmas).reverse(), 0]
    this.timesteps = Array.from({ length: T }, (_, i) => T - 1 - i)
    this.initNoiseSigma = eulerInitNoiseSigma(this.sigmas, this.config.timestep_spacing)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    this.numInferenceSteps = numInferenceSteps
    const timesteps = spacedFloatTimesteps(this.config, numInferenceSteps)
    this.sigmas = [...timesteps.map((t) => f32(interpOnIndexGrid(t, this.trainSigmas))), 0]
    this.timesteps = timesteps
    this._stepIndex = null
    this._beginIndex = null
    this.initNoiseSigma = eulerInitNoiseSigma(this.sigmas, this.config.timestep_spacing)
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseBySigma(this, originalSamples, noise, timesteps)
  }

  override scaleModelInput(sample: Tensor, t: number): Tensor {
    const index = this.initStepIndex(t)
    return scaleBySigma(
      sample,
      this.sigmas[index] as number,
      'EulerAncestralDiscreteScheduler.scaleModelInput: sample'
    )
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'EulerAncestralDiscreteScheduler.step')
    const m = floatData(modelOutput, 'EulerAncestralDiscreteScheduler.step: modelOutput')
    const s = floatData(sample, 'EulerAncestralDiscreteScheduler.step: sample')
    const index = this.initStepIndex(t)
    const sigma = this.sigmas[index] as number
    const sigmaTo = this.sigmas[index + 1] as number
    const size = s.length

    const x0 = new Float32Array(size)
    if (this.config.prediction_type === 'epsilon') {
      for (let i = 0; i < size; i++) x0[i] = f32((s[i] as number) - f32(sigma * (m[i] as number)))
    } else {
      const c2 = f32(f32(sigma * sigma) + 1)
      const c1 = f32(-sigma / f32(Math.sqrt(c2)))
      for (let i = 0; i < size; i++) {
        x0[i] = f32(f32((m[i] as number) * c1) + f32((s[i] as number) / c2))
      }
    }

    const from2 = f32(sigma * sigma)
    const to2 = f32(sigmaTo * sigmaTo)
    const sigmaUp = f32(Math.sqrt(f32(f32(to2 * f32(from2 - to2)) / from2)))
    const sigmaDown = f32(Math.sqrt(f32(to2 - f32(sigmaUp * sigmaUp))))
    const dt = f32(sigmaDown - sigma)
    const noise = floatData(
      randnTensor(modelOutput.dims, { generator: options.generator }),
      'EulerAncestralDiscreteScheduler.step: noise'
    )
    const prev = new Float32Array(size)
    for (let i = 0; i < size; i++) {
      const si = s[i] as number
      const derivative = f32(f32(si - (x0[i] as number)) / sigma)
      const euler = f32(si + f32(derivative * dt))
      prev[i] = f32(euler + f32((noise[i] as number) * sigmaUp))
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
