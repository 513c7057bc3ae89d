import { addNoiseByAlphaSigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { alphaSigma, firstOrderUpdate } from './dpm-solver-updates'
import { checkOneSigmaSchedule } from './euler-discrete-scheduler'
import { f32 } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { logF32, sigmasFromAlphasCumprod } from './sigmas'
import {
  solverIndexForTimestep,
  solverSigmas,
  solverTimesteps,
  trainingSigmaMin
} from './solver-schedule'
import type { SolverScheduleConfig } from './solver-schedule'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'
import { x0Prediction } from './solver-outputs'

/** The config of {@link DEISMultistepScheduler} (diffusers' `DEISMultistepScheduler.__init__` keys). */
export interface DEISMultistepSchedulerConfig extends SolverScheduleConfig {
  readonly solver_order: number
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
  readonly algorithm_type: 'deis'
  readonly solver_type: 'logrho'
  readonly lower_order_final: boolean
  readonly use_beta_sigmas: boolean
}

const log = (x: number): number => f32(Math.log(x))

/** DEIS's second-order log-rho integral `t·(−log c + log t − 1) / (log b − log c)` in float32. */
function ind2(t: number, b: number, c: number): number {
  const inner = f32(f32(-log(c) + log(t)) - 1)
  return f32(f32(t * inner) / f32(log(b) - log(c)))
}

/** DEIS's third-order log-rho integral, in diffusers' float32 operation order. */
function ind3(t: number, b: number, c: number, d: number): number {
  const lt = log(t)
  const lc = log(c)
  const ld = log(d)
  const lb = log(b)
  let inner = f32(lc * f32(f32(ld - lt) + 1))
  inner = f32(inner - f32(ld * lt))
  inner = f32(inner + ld)
  inner = f32(inner + f32(lt * lt))
  inner = f32(inner - f32(2 * lt))
  inner = f32(inner + 2)
  const numerator = f32(t * inner)
  return f32(numerator / f32(f32(lb - lc) * f32(lb - ld)))
}

/**
 * diffusers' `DEISMultistepScheduler` (Diffusion Exponential Integrator Sampler, log-rho
 * multistep): first- to third-order updates on epsilon with diffusers' lower-order warm-up and
 * final steps. `timesteps` are integers; the final sigma is the smallest training sigma (or the
 * last Karras / exponential sigma). As a Stepwise extension the step output carries `denoised`,
 * the step's x0 prediction.
 */
export class DEISMultistepScheduler extends Scheduler<DEISMultistepSchedulerConfig> {
  readonly className = 'DEISMultistepScheduler'
  /** The noise levels of the schedule plus the final one (float32 values). */
  sigmas: number[]
  private readonly trainSigmas: Float32Array
  private modelOutputs: (Float32Array | null)[]
  private lowerOrderNums = 0

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'DEISMultistepScheduler'>
  ) {
    super('DEISMultistepScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    checkOneSigmaSchedule(this.className, this.config)
    if (this.config.solver_order > 3) {
      throw new Error(
        `DEISMultistepScheduler: solver_order ${this.config.solver_order} is not supported (allowed: 1, 2, 3)`
      )
    }
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.sigmas = Array.from(this.trainSigmas)
    const T = this.config.num_train_timesteps
    this.timesteps = Array.from({ length: T }, (_, i) => T - 1 - i)
    this.modelOutputs = new Array<Float32Array | null>(this.config.solver_order).fill(null)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const n = numInferenceSteps
    const spaced = solverTimesteps(cfg, n, cfg.num_train_timesteps)
    const { timesteps, sigmas, replaced } = solverSigmas(
      cfg,
      n,
      spaced,
      this.trainSigmas,
      logF32(this.trainSigmas)
    )
    // Karras / exponential sigmas end on their own last value, the others on the training minimum.
    const last = replaced
      ? (sigmas[sigmas.length - 1] as number)
      : trainingSigmaMin(this.alphasCumprod)
    this.sigmas = [...sigmas, last].map(f32)
    this.timesteps = timesteps
    this.numInferenceSteps = timesteps.length
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
    this.lowerOrderNums = 0
    this._stepIndex = null
    this._beginIndex = null
  }

  /** diffusers' multistep rule: a timestep not in the schedule maps to the last step. */
  override indexForTimestep(t: number): number {
    return solverIndexForTimestep(this.timesteps, t)
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseByAlphaSigma(this, originalSamples, noise, timesteps)
  }

  override scaleModelInput(sample: Tensor, _t?: number): Tensor {
    return sample
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    _options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'DEISMultistepScheduler.step')
    const m = floatData(modelOutput, 'DEISMultistepScheduler.step: modelOutput')
    const s = floatData(sample, 'DEISMultistepScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)
    const count = this.timesteps.length
    const lowerOrderFinal = index === count - 1 && cfg.lower_order_final && count < 15
    const lowerOrderSecond = index === count - 2 && cfg.lower_order_final && count < 15

    // convert_model_output: x0, then the epsilon DEIS integrates.
    const { alpha, sigma } = alphaSigma(this.sigmas[index] as number)
    const x0 = x0Prediction(cfg, m, s, alpha, sigma, sample.dims[0] ?? 1)
    const eps = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      eps[i] = f32(f32((s[i] as number) - f32(alpha * (x0[i] as number))) / sigma)
    }
    this.modelOutputs = [...this.modelOutputs.slice(1), eps]

    let prev: Float32Array
    if (cfg.solver_order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) {
      prev = firstOrderUpdate({
        algorithm: 'dpmsolver',
        solverType: 'midpoint',
        sigmas: [this.sigmas[index + 1] as number, this.sigmas[index] as number],
        outputs: [eps],
        sample: s,
        noise: null
      })
    } else if (cfg.solver_order === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) {
      prev = this.secondOrderUpdate(index, s)
    } else {
      prev = this.thirdOrderUpdate(index, s)
    }
    if (this.lowerOrderNums < cfg.solver_order) this.lowerOrderNums += 1
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      denoised: makeTensor(x0, sample.dims)
    }
  }

  private output(back: number): Float32Array {
    const value = this.modelOutputs[this.modelOutputs.length - 1 - back]
    if (value === null || value === undefined) {
      throw new Error('DEISMultistepScheduler: a previous model output is missing')
    }
    return value
  }

  /** diffusers' `multistep_deis_second_order_update`. */
  private secondOrderUpdate(index: number, sample: Float32Array): Float32Array {
    const t = alphaSigma(this.sigmas[index + 1] as number)
    const s0 = alphaSigma(this.sigmas[index] as number)
    const s1 = alphaSigma(this.sigmas[index - 1] as number)
    const rhoT = f32(t.sigma / t.alpha)
    const rhoS0 = f32(s0.sigma / s0.alpha)
    const rhoS1 = f32(s1.sigma / s1.alpha)
    const coef1 = f32(ind2(rhoT, rhoS0, rhoS1) - ind2(rhoS0, rhoS0, rhoS1))
    const coef2 = f32(ind2(rhoT, rhoS1, rhoS0) - ind2(rhoS0, rhoS1, rhoS0))
    const m0 = this.output(0)
    const m1 = this.output(1)
    const out = new Float32Array(sample.length)
    for (let i = 0; i < out.length; i++) {
      const a = f32(f32((sample[i] as number) / s0.alpha) + f32(coef1 * (m0[i] as number)))
      out[i] = f32(t.alpha * f32(a + f32(coef2 * (m1[i] as number))))
    }
    return out
  }

  /** diffusers' `multistep_deis_third_order_update`. */
  private thirdOrderUpdate(index: number, sample: Float32Array): Float32Array {
    const t = alphaSigma(this.sigmas[index + 1] as number)
    const s0 = alphaSigma(this.sigmas[index] as number)
    const s1 = alphaSigma(this.sigmas[index - 1] as number)
    const s2 = alphaSigma(this.sigmas[index - 2] as number)
    const rhoT = f32(t.sigma / t.alpha)
    const r0 = f32(s0.sigma / s0.alpha)
    const r1 = f32(s1.sigma / s1.alpha)
    const r2 = f32(s2.sigma / s2.alpha)
    const coef1 = f32(ind3(rhoT, r0, r1, r2) - ind3(r0, r0, r1, r2))
    const coef2 = f32(ind3(rhoT, r1, r2, r0) - ind3(r0, r1, r2, r0))
    const coef3 = f32(ind3(rhoT, r2, r0, r1) - ind3(r0, r2, r0, r1))
    const m0 = this.output(0)
    const m1 = this.output(1)
    const m2 = this.output(2)
    const out = new Float32Array(sample.length)
    for (let i = 0; i < out.length; i++) {
      let a = f32(f32((sample[i] as number) / s0.alpha) + f32(coef1 * (m0[i] as number)))
      a = f32(a + f32(coef2 * (m1[i] as number)))
      a = f32(a + f32(coef3 * (m2[i] as number)))
      out[i] = f32(t.alpha * a)
    }
    return out
  }
}
