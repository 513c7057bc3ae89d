import { addNoiseByAlphaSigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import {
  alphaSigma,
  firstOrderUpdate,
  secondOrderUpdate,
  thirdOrderUpdate
} from './dpm-solver-updates'
import type { DpmAlgorithm, DpmSolverType, UpdateInput } from './dpm-solver-updates'
import { checkOneSigmaSchedule } from './euler-discrete-scheduler'
import { float32Kernels } from '../tensor/float32-kernels'
import { f32, interpOnIndexGrid, roundHalfEven } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import {
  exponentialSigmas,
  karrasSigmas,
  logF32,
  luLambdas,
  sigmaToT,
  sigmasFromAlphasCumprod
} from './sigmas'
import {
  clippedLastTimestep,
  solverIndexForTimestep,
  solverTimesteps,
  trainingLambdas
} from './solver-schedule'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'
import { dynamicThreshold } from './thresholding'

/** The config of {@link DPMSolverMultistepScheduler}. */
export interface DPMSolverMultistepSchedulerConfig extends SchedulerConfig {
  readonly solver_order: number
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
  readonly algorithm_type: DpmAlgorithm
  readonly solver_type: DpmSolverType
  readonly lower_order_final: boolean
  readonly euler_at_final: boolean
  readonly use_karras_sigmas: boolean
  readonly use_exponential_sigmas: boolean
  readonly use_beta_sigmas: boolean
  readonly use_lu_lambdas: boolean
  readonly final_sigmas_type: 'zero' | 'sigma_min'
  readonly lambda_min_clipped: number
  readonly variance_type: null
  readonly rescale_betas_zero_snr: boolean
}

/**
 * diffusers' `DPMSolverMultistepScheduler` (DPM-Solver / DPM-Solver++ multistep, Lu et al.):
 * first- to third-order updates with diffusers' lower-order warm-up and final-step rules, Karras /
 * exponential / Lu sigmas, and the SDE variants drawing noise from the step's generator as
 * diffusers does. `timesteps` are integers; `sigmas` has one more entry than `timesteps`. As a
 * Stepwise extension the step output carries `denoised`, the step's x0 (data) prediction.
 */
export class DPMSolverMultistepScheduler extends Scheduler<DPMSolverMultistepSchedulerConfig> {
  readonly className = 'DPMSolverMultistepScheduler'
  /** The noise levels of the schedule plus the final one (float32 values). */
  sigmas: number[]
  /** log(alpha_t) − log(sigma_t) for every training timestep (float32). */
  readonly lambdaT: Float32Array
  private readonly trainSigmas: Float32Array
  private modelOutputs: (Float32Array | null)[]
  private lowerOrderNums = 0

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'DPMSolverMultistepScheduler'>
  ) {
    super('DPMSolverMultistepScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, c.rescale_betas_zero_snr) }
    })
    const cfg = this.config
    checkOneSigmaSchedule(this.className, cfg)
    if (cfg.solver_order > 3) {
      throw new Error(
        `DPMSolverMultistepScheduler: solver_order ${cfg.solver_order} is not supported (allowed: 1, 2, 3)`
      )
    }
    if (cfg.algorithm_type === 'sde-dpmsolver' && cfg.solver_order === 3) {
      throw new Error(
        'DPMSolverMultistepScheduler: algorithm_type "sde-dpmsolver" has no third-order update (allowed solver_order: 1, 2)'
      )
    }
    if (
      (cfg.algorithm_type === 'dpmsolver' || cfg.algorithm_type === 'sde-dpmsolver') &&
      cfg.final_sigmas_type === 'zero'
    ) {
      throw new Error(
        `DPMSolverMultistepScheduler: final_sigmas_type "zero" is not supported for algorithm_type "${cfg.algorithm_type}" (allowed: sigma_min)`
      )
    }
    this.lambdaT = trainingLambdas(this.alphasCumprod)
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
    const last = clippedLastTimestep(this.lambdaT, cfg.lambda_min_clipped)
    let timesteps = solverTimesteps(cfg, n, last)

    const train = this.trainSigmas
    const logSigmas = logF32(train)
    const configMin = typeof cfg.sigma_min === 'number' ? cfg.sigma_min : null
    const configMax = typeof cfg.sigma_max === 'number' ? cfg.sigma_max : null
    const roundT = cfg.beta_schedule !== 'squaredcos_cap_v2'
    let sigmas: number[]
    if (cfg.use_karras_sigmas || cfg.use_exponential_sigmas) {
      const min = configMin ?? (train[0] as number)
      const max = configMax ?? (train[train.length - 1] as number)
      sigmas = cfg.use_karras_sigmas ? karrasSigmas(min, max, n) : exponentialSigmas(min, max, n)
      const ts = sigmas.map((s) => sigmaToT(s, logSigmas))
      timesteps = cfg.use_karras_sigmas && roundT ? ts.map(roundHalfEven) : ts
    } else if (cfg.use_lu_lambdas) {
      const lambdas = luLambdas(
        logSigmas[0] as number,
        logSigmas[logSigmas.length - 1] as number,
        n
      )
      sigmas = lambdas.map((l) => Math.exp(l))
      const ts = sigmas.map((s) => sigmaToT(s, logSigmas))
      timesteps = roundT ? ts.map(roundHalfEven) : ts
    } else {
      sigmas = timesteps.map((t) => interpOnIndexGrid(t, train))
    }
    const a0 = this.alphasCumprod[0] as number
    const sigmaLast =
      cfg.final_sigmas_type === 'sigma_min' ? f32(Math.sqrt(f32(f32(1 - a0) / a0))) : 0
    this.sigmas = [...sigmas, sigmaLast].map(f32)
    // torch's .to(int64) truncates toward zero.
    this.timesteps = timesteps.map((t) => Math.trunc(t))
    this.numInferenceSteps = this.timesteps.length
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
    this.lowerOrderNums = 0
    this._stepIndex = null
    this._beginIndex = null
  }

  /** diffusers' DPM-Solver rule: a timestep not in the schedule maps to the last step. */
  override indexForTimestep(t: number): number {
    return solverIndexForTimestep(this.timesteps, t)
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseByAlphaSigma(this, originalSamples, noise, timesteps)
  }

  override scaleModelInput(sample: Tensor, _t?: number): Tensor {
    return sample
  }

  /** diffusers' `convert_model_output`: x0 for dpmsolver++ types, epsilon for dpmsolver types. */
  private convertModelOutput(m: Float32Array, s: Float32Array, batch: number): Float32Array {
    const cfg = this.config
    const { alpha, sigma } = alphaSigma(this.sigmas[this._stepIndex as number] as number)
    const n = s.length
    const pt = cfg.prediction_type
    if (cfg.algorithm_type === 'dpmsolver++' || cfg.algorithm_type === 'sde-dpmsolver++') {
      // The data prediction; from an epsilon output (SD's) in the engine's SIMD kernel.
      const x0 =
        pt === 'epsilon'
          ? float32Kernels.dpmDataPrediction(m, s, sigma, alpha)
          : Float32Array.from(m, (mi, i) =>
              pt === 'sample' ? mi : f32(f32(alpha * (s[i] as number)) - f32(sigma * mi))
            )
      if (cfg.thresholding) {
        dynamicThreshold(x0, batch, cfg.dynamic_thresholding_ratio, cfg.sample_max_value)
      }
      return x0
    }
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      const mi = m[i] as number
      const si = s[i] as number
      if (pt === 'epsilon') out[i] = mi
      else if (pt === 'sample') out[i] = f32(f32(si - f32(alpha * mi)) / sigma)
      else out[i] = f32(f32(alpha * mi) + f32(sigma * si))
    }
    if (cfg.thresholding) {
      const x0 = this.epsilonToX0(out, s)
      dynamicThreshold(x0, batch, cfg.dynamic_thresholding_ratio, cfg.sample_max_value)
      for (let i = 0; i < n; i++) {
        out[i] = f32(f32((s[i] as number) - f32(alpha * (x0[i] as number))) / sigma)
      }
    }
    return out
  }

  private epsilonToX0(eps: Float32Array, s: Float32Array): Float32Array {
    const { alpha, sigma } = alphaSigma(this.sigmas[this._stepIndex as number] as number)
    const x0 = new Float32Array(eps.length)
    for (let i = 0; i < eps.length; i++) {
      x0[i] = f32(f32((s[i] as number) - f32(sigma * (eps[i] as number))) / alpha)
    }
    return x0
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'DPMSolverMultistepScheduler.step')
    const m = floatData(modelOutput, 'DPMSolverMultistepScheduler.step: modelOutput')
    const s = floatData(sample, 'DPMSolverMultistepScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)
    const count = this.timesteps.length
    const lowerOrderFinal =
      index === count - 1 &&
      (cfg.euler_at_final ||
        (cfg.lower_order_final && count < 15) ||
        cfg.final_sigmas_type === 'zero')
    const lowerOrderSecond = index === count - 2 && cfg.lower_order_final && count < 15

    const converted = this.convertModelOutput(m, s, sample.dims[0] ?? 1)
    this.modelOutputs = [...this.modelOutputs.slice(1), converted]

    let noise: Float32Array | null = null
    if (cfg.algorithm_type === 'sde-dpmsolver++' || cfg.algorithm_type === 'sde-dpmsolver') {
      const source =
        options.varianceNoise ?? randnTensor(modelOutput.dims, { generator: options.generator })
      assertSameDims(source, sample, 'DPMSolverMultistepScheduler.step: varianceNoise')
      noise = floatData(source, 'DPMSolverMultistepScheduler.step: noise')
    }

    const input: UpdateInput = {
      algorithm: cfg.algorithm_type,
      solverType: cfg.solver_type,
      sigmas: [1, 0, -1, -2].map((k) => this.sigmas[index + k] ?? Number.NaN),
      outputs: this.modelOutputs.filter((o): o is Float32Array => o !== null),
      sample: s,
      noise
    }
    let prev: Float32Array
    if (cfg.solver_order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal) {
      prev = firstOrderUpdate(input)
    } else if (cfg.solver_order === 2 || this.lowerOrderNums < 2 || lowerOrderSecond) {
      prev = secondOrderUpdate(input)
    } else {
      prev = thirdOrderUpdate(input)
    }
    if (this.lowerOrderNums < cfg.solver_order) this.lowerOrderNums += 1
    const isData = cfg.algorithm_type === 'dpmsolver++' || cfg.algorithm_type === 'sde-dpmsolver++'
    const denoised = isData ? converted : this.epsilonToX0(converted, s)
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      denoised: makeTensor(denoised, sample.dims)
    }
  }
}
