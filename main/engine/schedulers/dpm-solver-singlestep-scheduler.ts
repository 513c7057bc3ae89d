import { addNoiseByAlphaSigma, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { singlestepSecondOrder, singlestepThirdOrder } from './dpm-solver-singlestep-updates'
import type { SinglestepAlgorithm, SinglestepInput } from './dpm-solver-singlestep-updates'
import { alphaSigma, firstOrderUpdate } from './dpm-solver-updates'
import { checkOneSigmaSchedule } from './euler-discrete-scheduler'
import { f32 } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { logF32, sigmasFromAlphasCumprod } from './sigmas'
import { epsilonPrediction, x0FromEpsilon, x0Prediction } from './solver-outputs'
import {
  clippedLastTimestep,
  solverIndexForTimestep,
  solverSigmas,
  solverTimesteps,
  trainingLambdas,
  trainingSigmaMin
} from './solver-schedule'
import type { SolverScheduleConfig } from './solver-schedule'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link DPMSolverSinglestepScheduler} (diffusers' `__init__` keys). */
export interface DPMSolverSinglestepSchedulerConfig extends SolverScheduleConfig {
  readonly solver_order: number
  readonly prediction_type: 'epsilon' | 'sample' | 'v_prediction'
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
  readonly algorithm_type: SinglestepAlgorithm
  readonly solver_type: 'midpoint' | 'heun'
  readonly lower_order_final: boolean
  readonly use_beta_sigmas: boolean
  readonly final_sigmas_type: 'zero' | 'sigma_min'
  readonly lambda_min_clipped: number
  readonly variance_type: null
}

/**
 * diffusers' `get_order_list`: the order of each step, cycling 1, 2(, 3) so each group starts
 * with a first-order step from the group's sample; the last step is first order when the final
 * sigma is 0.
 */
export function singlestepOrderList(
  steps: number,
  order: number,
  lowerOrderFinal: boolean,
  finalSigmasZero: boolean
): number[] {
  const repeat = (pattern: number[], times: number): number[] =>
    Array.from({ length: Math.max(0, times) }, () => pattern).flat()
  let orders: number[]
  if (lowerOrderFinal) {
    if (order === 3) {
      if (steps % 3 === 0) orders = [...repeat([1, 2, 3], steps / 3 - 1), 1, 2, 1]
      else if (steps % 3 === 1) orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1]
      else orders = [...repeat([1, 2, 3], Math.floor(steps / 3)), 1, 2]
    } else if (order === 2) {
      orders =
        steps % 2 === 0
          ? [...repeat([1, 2], steps / 2 - 1), 1, 1]
          : [...repeat([1, 2], Math.floor(steps / 2)), 1]
    } else {
      orders = repeat([1], steps)
    }
  } else {
    const pattern = order === 3 ? [1, 2, 3] : order === 2 ? [1, 2] : [1]
    orders = repeat(pattern, Math.floor(steps / order))
  }
  if (finalSigmasZero && orders.length > 0) orders[orders.length - 1] = 1
  return orders
}

/**
 * diffusers' `DPMSolverSinglestepScheduler` (singlestep DPM-Solver / DPM-Solver++, and its SDE
 * variant, which diffusers' docs map to A1111's "DPM++ SDE"): steps grouped by the order list,
 * each group re-solved from its first sample with all its model outputs. `timesteps` are
 * integers. Like diffusers, `lower_order_final` becomes true at `setTimesteps` when the step count
 * is not a multiple of the order or the final sigma is 0 (kept on this instance, not written to
 * the frozen config). As a Stepwise extension the step output carries `denoised` (the x0
 * prediction).
 */
export class DPMSolverSinglestepScheduler extends Scheduler<DPMSolverSinglestepSchedulerConfig> {
  readonly className = 'DPMSolverSinglestepScheduler'
  /** The noise levels of the schedule plus the final one (float32 values). */
  sigmas: number[]
  /** The order of each step (diffusers' `order_list`). */
  orderList: number[]
  private readonly trainSigmas: Float32Array
  private readonly lambdaT: Float32Array
  private modelOutputs: (Float32Array | null)[]
  private groupSample: Float32Array | null = null
  private lowerOrderFinal: boolean

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'DPMSolverSinglestepScheduler'>
  ) {
    super('DPMSolverSinglestepScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    const cfg = this.config
    checkOneSigmaSchedule(this.className, cfg)
    if (cfg.solver_order > 3) {
      throw new Error(
        `DPMSolverSinglestepScheduler: solver_order ${cfg.solver_order} is not supported (allowed: 1, 2, 3)`
      )
    }
    if (cfg.algorithm_type === 'dpmsolver' && cfg.final_sigmas_type === 'zero') {
      throw new Error(
        'DPMSolverSinglestepScheduler: final_sigmas_type "zero" is not supported for algorithm_type "dpmsolver" (allowed: sigma_min)'
      )
    }
    if (cfg.algorithm_type === 'dpmsolver' && cfg.thresholding) {
      throw new Error(
        'DPMSolverSinglestepScheduler: thresholding is not supported with algorithm_type "dpmsolver" (diffusers fails on it; use dpmsolver++)'
      )
    }
    this.lowerOrderFinal = cfg.lower_order_final
    this.trainSigmas = sigmasFromAlphasCumprod(this.alphasCumprod)
    this.lambdaT = trainingLambdas(this.alphasCumprod)
    this.sigmas = Array.from(this.trainSigmas)
    const T = cfg.num_train_timesteps
    this.timesteps = Array.from({ length: T }, (_, i) => T - 1 - i)
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
    this.orderList = this.orderListFor(T)
  }

  private orderListFor(steps: number): number[] {
    const cfg = this.config
    return singlestepOrderList(
      steps,
      cfg.solver_order,
      this.lowerOrderFinal,
      cfg.final_sigmas_type === 'zero'
    )
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const n = numInferenceSteps
    const last = clippedLastTimestep(this.lambdaT, cfg.lambda_min_clipped)
    const spaced = solverTimesteps(cfg, n, last, 'linspace')
    const { timesteps, sigmas } = solverSigmas(
      cfg,
      n,
      spaced,
      this.trainSigmas,
      logF32(this.trainSigmas)
    )
    const final = cfg.final_sigmas_type === 'sigma_min' ? trainingSigmaMin(this.alphasCumprod) : 0
    this.sigmas = [...sigmas, final].map(f32)
    this.timesteps = timesteps
    this.numInferenceSteps = n
    this.modelOutputs = new Array<Float32Array | null>(cfg.solver_order).fill(null)
    this.groupSample = null
    // diffusers switches lower_order_final on for good (it rewrites its config).
    if (!this.lowerOrderFinal && (n % cfg.solver_order !== 0 || cfg.final_sigmas_type === 'zero')) {
      this.lowerOrderFinal = true
    }
    this.orderList = this.orderListFor(n)
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
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'DPMSolverSinglestepScheduler.step')
    const m = floatData(modelOutput, 'DPMSolverSinglestepScheduler.step: modelOutput')
    const s = floatData(sample, 'DPMSolverSinglestepScheduler.step: sample')
    const cfg = this.config
    const index = this.initStepIndex(t)

    const { alpha, sigma } = alphaSigma(this.sigmas[index] as number)
    const isData = cfg.algorithm_type !== 'dpmsolver'
    const converted = isData
      ? x0Prediction(cfg, m, s, alpha, sigma, sample.dims[0] ?? 1)
      : epsilonPrediction(cfg.prediction_type, m, s, alpha, sigma)
    this.modelOutputs = [...this.modelOutputs.slice(1), converted]

    let noise: Float32Array | null = null
    if (cfg.algorithm_type === 'sde-dpmsolver++') {
      noise = floatData(
        randnTensor(modelOutput.dims, { generator: options.generator }),
        'DPMSolverSinglestepScheduler.step: noise'
      )
    }
    let order = this.orderList[index]
    if (order === undefined) {
      throw new Error(
        `DPMSolverSinglestepScheduler: no solver order for step ${index} of ${this.timesteps.length}`
      )
    }
    while (this.modelOutputs[this.modelOutputs.length - order] === null) order -= 1
    if (order === 1) this.groupSample = s
    const input: SinglestepInput = {
      algorithm: cfg.algorithm_type,
      solverType: cfg.solver_type,
      sigmas: [1, 0, -1, -2].map((k) => this.sigmas[index + k] ?? Number.NaN),
      outputs: this.modelOutputs.filter((o): o is Float32Array => o !== null),
      sample: this.groupSample ?? s,
      noise
    }
    let prev: Float32Array
    if (order === 1) {
      prev = firstOrderUpdate({ ...input, outputs: [converted] })
    } else if (order === 2) {
      prev = singlestepSecondOrder(input)
    } else {
      prev = singlestepThirdOrder(input)
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      denoised: makeTensor(
        isData ? converted : x0FromEpsilon(converted, s, alpha, sigma),
        sample.dims
      )
    }
  }
}
