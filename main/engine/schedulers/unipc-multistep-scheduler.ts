import { addNoiseByAlphaSigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { alphaSigma } from './dpm-solver-updates'
import { checkOneSigmaSchedule } from './euler-discrete-scheduler'
import { f32 } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { logF32, sigmasFromAlphasCumprod } from './sigmas'
import { epsilonPrediction, x0FromEpsilon, x0Prediction } from './solver-outputs'
import {
  solverIndexForTimestep,
  solverSigmas,
  solverTimesteps,
  trainingSigmaMin
} from './solver-schedule'
import type { SolverScheduleConfig } from './solver-schedule'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'
import { uniCorrector, uniPredictor } from './unipc-updates'
import type { UniPCInput } from './unipc-updates'

/** The config of {@link UniPCMultistepScheduler} (diffusers' `UniPCMultistepScheduler.__init__` keys). */
export interface UniPCMultistepSchedulerConfig extends SolverScheduleConfig {
  readonly solver_order: number
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
  readonly predict_x0: boolean
  readonly solver_type: 'bh1' | 'bh2'
  readonly lower_order_final: boolean
  readonly disable_corrector: readonly number[]
  readonly solver_p: null
  readonly use_beta_sigmas: boolean
  readonly final_sigmas_type: 'zero' | 'sigma_min'
  readonly rescale_betas_zero_snr: boolean
  readonly sigma_min: number | null
  readonly sigma_max: number | null
}

/**
 * diffusers' `UniPCMultistepScheduler` (Zhao et al., UniPC): a multistep predictor (UniP) and,
 * from the second step on, a corrector (UniC) that refines the previous prediction with the new
 * model output before predicting again, with diffusers' warm-up and lower-order final steps.
 * `timesteps` are integers. As a Stepwise extension the step output carries `denoised` (the x0
 * prediction of the step's model output).
 */
export class UniPCMultistepScheduler extends Scheduler<UniPCMultistepSchedulerConfig> {
  readonly className = 'UniPCMultistepScheduler'
  /** The noise levels of the schedule plus the final one (float32 values). */
  sigmas: number[]
  private readonly trainSigmas: Float32Array
  private modelOutputs: (Float32Array | null)[]
  private lowerOrderNums = 0
  private lastSample: Float32Array | null = null
  private thisOrder = 1

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'UniPCMultistepScheduler'>
  ) {
    super('UniPCMultistepScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, c.rescale_betas_zero_snr) }
    })
    const cfg = this.config
    checkOneSigmaSchedule(this.className, cfg)
    // Both give NaN at a final sigma of 0 in diffusers (B(h) or e^h is infinite there).
    if (cfg.final_sigmas_type === 'zero' && (cfg.solver_type === 'bh1' || !cfg.predict_x0)) {
      const what = cfg.solver_type === 'bh1' ? 'solver_type "bh1"' : 'predict_x0 false'
      throw new Error(
        `UniPCMultistepScheduler: ${what} needs final_sigmas_type "sigma_min" (with "zero" diffusers' last step gives NaN)`
      )
    }
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.sigmas = Array.from(this.trainSigmas)
    const T = cfg.num_train_timesteps
    this.timesteps = Array.from({ length: T }, (_, i) => T - 1 - i)
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
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
    let final = 0
    if (cfg.final_sigmas_type === 'sigma_min') {
      final = replaced
        ? (sigmas[sigmas.length - 1] as number)
        : trainingSigmaMin(this.alphasCumprod)
    }
    this.sigmas = [...sigmas, final].map(f32)
    this.timesteps = timesteps
    this.numInferenceSteps = timesteps.length
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
    this.lowerOrderNums = 0
    this.lastSample = null
    this.thisOrder = 1
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
    assertSameDims(modelOutput, sample, 'UniPCMultistepScheduler.step')
    const m = floatData(modelOutput, 'UniPCMultistepScheduler.step: modelOutput')
    let s = floatData(sample, 'UniPCMultistepScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)
    const outputs = (): Float32Array[] =>
      this.modelOutputs.filter((o): o is Float32Array => o !== null)
    const input = (order: number): UniPCInput => ({
      predictX0: cfg.predict_x0,
      solverType: cfg.solver_type,
      sigmas: this.sigmas,
      outputs: outputs(),
      order
    })

    const { alpha, sigma } = alphaSigma(this.sigmas[index] as number)
    const converted = cfg.predict_x0
      ? x0Prediction(cfg, m, s, alpha, sigma, sample.dims[0] ?? 1)
      : epsilonPrediction(cfg.prediction_type, m, s, alpha, sigma)
    const x0 = cfg.predict_x0 ? converted : x0FromEpsilon(converted, s, alpha, sigma)

    const useCorrector =
      index > 0 && !cfg.disable_corrector.includes(index - 1) && this.lastSample !== null
    if (useCorrector) {
      s = uniCorrector(input(this.thisOrder), index, this.lastSample as Float32Array, converted)
    }
    this.modelOutputs = [...this.modelOutputs.slice(1), converted]
    const wanted = cfg.lower_order_final
      ? Math.min(cfg.solver_order, this.timesteps.length - index)
      : cfg.solver_order
    this.thisOrder = Math.min(wanted, this.lowerOrderNums + 1)
    this.lastSample = s
    const prev = uniPredictor(input(this.thisOrder), index, s)
    if (this.lowerOrderNums < cfg.solver_order) this.lowerOrderNums += 1
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      denoised: makeTensor(x0, sample.dims)
    }
  }
}
