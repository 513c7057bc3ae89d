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
import { x0FromSigma } from './heun-discrete-scheduler'
import { f32 } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import {
  baseSigmaSchedule,
  doubleInterior,
  logMidpoint,
  sigmaToTFloat32
} from './second-order-schedule'
import type { SigmaScheduleConfig } from './second-order-schedule'
import { logF32, sigmasFromAlphasCumprod } from './sigmas'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link KDPM2DiscreteScheduler} (diffusers' `KDPM2DiscreteScheduler.__init__` keys). */
export interface KDPM2DiscreteSchedulerConfig extends SigmaScheduleConfig {
  readonly prediction_type: 'epsilon' | 'v_prediction'
  readonly use_beta_sigmas: boolean
}

/**
 * What KDPM2 and KDPM2 ancestral share: the training sigmas, the timestep list that interleaves
 * each step's midpoint timestep, and the first/second-half bookkeeping (diffusers'
 * `state_in_first_order` is "no sample kept").
 */
export abstract class KDPM2Base extends Scheduler<KDPM2DiscreteSchedulerConfig> {
  /** The noise levels, doubled like the timesteps, ending with 0 (float32 values). */
  sigmas: number[] = []
  /** The midpoint noise levels the second half of each step evaluates at (float32 values). */
  sigmasInterpol: number[] = []
  protected readonly trainSigmas: Float32Array
  protected readonly logSigmas: Float32Array
  protected firstSample: Float32Array | null = null

  protected constructor(
    className: 'KDPM2DiscreteScheduler' | 'KDPM2AncestralDiscreteScheduler',
    config: SchedulerConfigInput,
    overrides: SchedulerConfigInput | undefined
  ) {
    super(className, config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.order = 2
    checkOneSigmaSchedule(className, this.config)
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.logSigmas = logF32(this.trainSigmas)
  }

  /** Whether the next step is the first half of a KDPM2 step (diffusers' `state_in_first_order`). */
  get stateInFirstOrder(): boolean {
    return this.firstSample === null
  }

  /**
   * The shared part of `set_timesteps`: the base schedule, with the float32 sigmas (trailing 0
   * appended) handed to `interpolate` for the class's midpoints; returns diffusers' timesteps.
   */
  protected buildSchedule(
    numInferenceSteps: number,
    interpolate: (sigmas: number[]) => {
      interpol: number[]
      interleaved: (ti: number[]) => number[]
    }
  ): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const base = baseSigmaSchedule(
      this.config,
      numInferenceSteps,
      this.trainSigmas,
      this.logSigmas,
      true
    )
    const sigmas = [...base.sigmas, 0].map(f32)
    const { interpol, interleaved } = interpolate(sigmas)
    this.sigmas = doubleInterior(sigmas)
    this.sigmasInterpol = doubleInterior(interpol)
    // Midpoint timesteps come from float32 tensors; they take the timesteps' dtype.
    const timesteps = base.float64 ? base.timesteps : base.timesteps.map(f32)
    const cast = (t: number): number => (base.float64 ? t : f32(t))
    const timestepsInterpol = interpol.map((s) => cast(sigmaToTFloat32(s, this.logSigmas)))
    this.timesteps = [
      timesteps[0] as number,
      ...interleave(interleaved(timestepsInterpol), timesteps.slice(1))
    ]
    this.numInferenceSteps = numInferenceSteps
    this.firstSample = null
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
      this.modelInputSigma(index),
      `${this.className}.scaleModelInput: sample`
    )
  }

  /** The sigma the model input at step `index` is scaled by. */
  protected abstract modelInputSigma(index: number): number
}

/** `torch.stack((a[:, None], b[:, None]), dim=-1).flatten()`: a0, b0, a1, b1, … */
function interleave(a: readonly number[], b: readonly number[]): number[] {
  return b.flatMap((v, i) => [a[i] as number, v])
}

/**
 * diffusers' `KDPM2DiscreteScheduler` (k-diffusion's DPM-Solver-2 / "DPM2"): each step takes an
 * Euler half-step to the geometric midpoint sigma and completes it with the derivative there, so
 * `order` is 2 and N steps run 2·N − 1 model evaluations; the timesteps interleave each step's
 * midpoint timestep. `timesteps` are float32 values, float64 with Karras or exponential sigmas
 * (as in diffusers).
 */
export class KDPM2DiscreteScheduler extends KDPM2Base {
  readonly className = 'KDPM2DiscreteScheduler'

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'KDPM2DiscreteScheduler'>
  ) {
    super('KDPM2DiscreteScheduler', config, overrides)
    this.setTimesteps(this.config.num_train_timesteps)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.buildSchedule(numInferenceSteps, (sigmas) => {
      // lerp(log σ_k, log σ_{k−1}, 0.5): the first entry pairs σ_0 with the final 0 (roll).
      const interpol = sigmas.map((s, k) =>
        logMidpoint(s, sigmas[(k - 1 + sigmas.length) % sigmas.length] as number)
      )
      return { interpol, interleaved: (ti) => ti.slice(1, -1) }
    })
  }

  protected modelInputSigma(index: number): number {
    return (this.stateInFirstOrder ? this.sigmas[index] : this.sigmasInterpol[index]) as number
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    _options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'KDPM2DiscreteScheduler.step')
    const m = floatData(modelOutput, 'KDPM2DiscreteScheduler.step: modelOutput')
    const s = floatData(sample, 'KDPM2DiscreteScheduler.step: sample')
    const index = this.initStepIndex(t)
    const first = this.stateInFirstOrder
    const sigma = this.sigmas[first ? index : index - 1] as number
    const sigmaInterpol = this.sigmasInterpol[first ? index + 1 : index] as number
    const sigmaNext = this.sigmas[first ? index + 1 : index] as number
    const x0 = x0FromSigma(this.config.prediction_type, m, s, first ? sigma : sigmaInterpol)
    const size = s.length
    const derivative = new Float32Array(size)
    let base = s
    let dt: number
    if (first) {
      for (let i = 0; i < size; i++) {
        derivative[i] = f32(f32((s[i] as number) - (x0[i] as number)) / sigma)
      }
      dt = f32(sigmaInterpol - sigma)
      this.firstSample = s
    } else {
      for (let i = 0; i < size; i++) {
        derivative[i] = f32(f32((s[i] as number) - (x0[i] as number)) / sigmaInterpol)
      }
      dt = f32(sigmaNext - sigma)
      base = this.firstSample as Float32Array
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
