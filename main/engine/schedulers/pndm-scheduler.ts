import { addNoiseByAlphas, type AddNoiseTimesteps } from './add-noise'
import type { Tensor } from 'onnxruntime-node'
import { makeAlphasCumprod, makeBetas } from './betas'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { arange, f32, linspace, roundHalfEven } from './numpy-compat'
import { Scheduler } from './scheduler'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link PNDMScheduler}. */
export interface PNDMSchedulerConfig extends SchedulerConfig {
  readonly skip_prk_steps: boolean
  readonly set_alpha_to_one: boolean
  readonly prediction_type: 'epsilon' | 'v_prediction'
}

const PNDM_ORDER = 4
const SIXTH = f32(1 / 6)
const THIRD = f32(1 / 3)
const TWENTY_FOURTH = f32(1 / 24)

// A new array from an element formula; a plain loop (TypedArray.prototype.map is much slower).
function combine(n: number, element: (i: number) => number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = element(i)
  return out
}

/**
 * diffusers' `PNDMScheduler` (pseudo numerical methods): four Runge–Kutta warm-up steps (12
 * model evaluations) then linear multistep (PLMS), or PLMS only with `skip_prk_steps`, where
 * diffusers repeats the second timestep so the schedule has n + 1 entries. `timesteps` are
 * integers. The step output has no x0 prediction (neither has diffusers').
 */
export class PNDMScheduler extends Scheduler<PNDMSchedulerConfig> {
  readonly className = 'PNDMScheduler'
  override readonly hasBeginIndex = false
  /** alphas_cumprod used "before" t = 0. */
  readonly finalAlphaCumprod: number
  /** The Runge–Kutta part of {@link timesteps} (empty with `skip_prk_steps`). */
  prkTimesteps: number[] = []
  /** The linear-multistep part of {@link timesteps}. */
  plmsTimesteps: number[] = []
  private counter = 0
  private ets: Float32Array[] = []
  private curModelOutput: Float32Array | null = null
  private curSample: Float32Array | null = null

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(config: SchedulerConfigInput = {}, overrides?: SchedulerOverrides<'PNDMScheduler'>) {
    super('PNDMScheduler', config, overrides, (c) => {
      const betas = makeBetas(c)
      return { betas, alphasCumprod: makeAlphasCumprod(betas, false) }
    })
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.checkNumInferenceSteps(numInferenceSteps)
    const cfg = this.config
    const n = numInferenceSteps
    const T = cfg.num_train_timesteps
    if (!cfg.skip_prk_steps && n < PNDM_ORDER) {
      throw new Error(
        `PNDMScheduler.setTimesteps: with skip_prk_steps false the Runge-Kutta warm-up needs at least ${PNDM_ORDER} steps (got ${n}); use more steps or skip_prk_steps: true`
      )
    }
    let base: number[]
    if (cfg.timestep_spacing === 'linspace') {
      base = linspace(0, T - 1, n).map(roundHalfEven)
    } else if (cfg.timestep_spacing === 'leading') {
      const ratio = Math.floor(T / n)
      base = Array.from({ length: n }, (_, i) => i * ratio + cfg.steps_offset)
    } else {
      base = arange(T, 0, -T / n)
        .map((v) => roundHalfEven(v) - 1)
        .reverse()
    }
    if (cfg.skip_prk_steps) {
      // diffusers: concat(ts[:-1], ts[-2:-1], ts[-1:])[::-1] — the second timestep runs twice.
      const repeated = base.length >= 2 ? [base[base.length - 2] as number] : []
      this.prkTimesteps = []
      this.plmsTimesteps = [...base.slice(0, -1), ...repeated, ...base.slice(-1)].reverse()
    } else {
      const half = Math.floor(Math.floor(T / n) / 2)
      const last = base.slice(-PNDM_ORDER)
      const prk = last.flatMap((t) => [t, t + half])
      const doubled = prk.slice(0, -1).flatMap((t) => [t, t])
      this.prkTimesteps = doubled.slice(1, -1).reverse()
      this.plmsTimesteps = base.slice(0, -3).reverse()
    }
    this.timesteps = [...this.prkTimesteps, ...this.plmsTimesteps]
    this.numInferenceSteps = n
    this.ets = []
    this.counter = 0
    this.curModelOutput = null
    this.curSample = null
  }

  override addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor {
    return addNoiseByAlphas(this.alphasCumprod, originalSamples, noise, timesteps, this.className)
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
    assertSameDims(modelOutput, sample, 'PNDMScheduler.step')
    const m = floatData(modelOutput, 'PNDMScheduler.step: modelOutput')
    const s = floatData(sample, 'PNDMScheduler.step: sample')
    const prev =
      this.counter < this.prkTimesteps.length && !this.config.skip_prk_steps
        ? this.stepPrk(m, t, s)
        : this.stepPlms(m, t, s)
    return { prevSample: makeTensor(prev, sample.dims) }
  }

  private stepPrk(m: Float32Array, t: number, s: Float32Array): Float32Array {
    const n = this.numInferenceSteps as number
    const diffToPrev =
      this.counter % 2 ? 0 : Math.floor(Math.floor(this.config.num_train_timesteps / n) / 2)
    const prevT = t - diffToPrev
    const timestep = this.prkTimesteps[Math.floor(this.counter / 4) * 4] as number
    let output = m
    const phase = this.counter % 4
    const acc = this.curModelOutput
    if (phase === 0) {
      this.curModelOutput = combine(m.length, (i) => f32(SIXTH * (m[i] as number)))
      this.ets.push(m)
      this.curSample = s
    } else {
      const sum = acc as Float32Array
      const w = phase === 3 ? SIXTH : THIRD
      const next = combine(m.length, (i) => f32((sum[i] as number) + f32(w * (m[i] as number))))
      if (phase === 3) {
        output = next
        this.curModelOutput = null
      } else {
        this.curModelOutput = next
      }
    }
    const prev = this.prevSample(this.curSample ?? s, timestep, prevT, output)
    this.counter += 1
    return prev
  }

  private stepPlms(m: Float32Array, t: number, s: Float32Array): Float32Array {
    if (!this.config.skip_prk_steps && this.ets.length < 3) {
      throw new Error(
        'PNDMScheduler: PLMS steps can only run after the 12 Runge-Kutta warm-up steps (skip_prk_steps is false)'
      )
    }
    const ratio = Math.floor(this.config.num_train_timesteps / (this.numInferenceSteps as number))
    let timestep = t
    let prevT = t - ratio
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3)
      this.ets.push(m)
    } else {
      prevT = t
      timestep = t + ratio
    }
    const e = (k: number): Float32Array => this.ets[this.ets.length - k] as Float32Array
    let sample = s
    let output: Float32Array
    const n = m.length
    if (this.ets.length === 1 && this.counter === 0) {
      output = m
      this.curSample = s
    } else if (this.ets.length === 1 && this.counter === 1) {
      const e1 = e(1)
      output = combine(n, (i) => f32(f32((m[i] as number) + (e1[i] as number)) / 2))
      sample = this.curSample ?? s
      this.curSample = null
    } else if (this.ets.length === 2) {
      const [e1, e2] = [e(1), e(2)]
      output = combine(n, (i) => f32(f32(f32(3 * (e1[i] as number)) - (e2[i] as number)) / 2))
    } else if (this.ets.length === 3) {
      const [e1, e2, e3] = [e(1), e(2), e(3)]
      output = combine(n, (i) => {
        const a = f32(f32(23 * (e1[i] as number)) - f32(16 * (e2[i] as number)))
        return f32(f32(a + f32(5 * (e3[i] as number))) / 12)
      })
    } else {
      const [e1, e2, e3, e4] = [e(1), e(2), e(3), e(4)]
      output = combine(n, (i) => {
        const a = f32(f32(55 * (e1[i] as number)) - f32(59 * (e2[i] as number)))
        const b = f32(f32(a + f32(37 * (e3[i] as number))) - f32(9 * (e4[i] as number)))
        return f32(TWENTY_FOURTH * b)
      })
    }
    const prev = this.prevSample(sample, timestep, prevT, output)
    this.counter += 1
    return prev
  }

  /** diffusers' `_get_prev_sample`: formula (9) of the PNDM paper, in float32. */
  private prevSample(
    sample: Float32Array,
    t: number,
    prevT: number,
    modelOutput: Float32Array
  ): Float32Array {
    const alphaT = this.alphasCumprod[t]
    const alphaPrev = prevT >= 0 ? this.alphasCumprod[prevT] : this.finalAlphaCumprod
    if (alphaT === undefined || alphaPrev === undefined || !Number.isInteger(t)) {
      throw new Error(
        `PNDMScheduler: timestep ${t} is outside the training schedule (integers 0 to ${this.alphasCumprod.length - 1})`
      )
    }
    const betaT = f32(1 - alphaT)
    const betaPrev = f32(1 - alphaPrev)
    let output = modelOutput
    if (this.config.prediction_type === 'v_prediction') {
      const sa = f32(Math.sqrt(alphaT))
      const sb = f32(Math.sqrt(betaT))
      output = combine(modelOutput.length, (i) =>
        f32(f32(sa * (modelOutput[i] as number)) + f32(sb * (sample[i] as number)))
      )
    }
    const sampleCoeff = f32(Math.sqrt(f32(alphaPrev / alphaT)))
    const denom = f32(
      f32(alphaT * f32(Math.sqrt(betaPrev))) + f32(Math.sqrt(f32(f32(alphaT * betaT) * alphaPrev)))
    )
    const diff = f32(alphaPrev - alphaT)
    const prev = new Float32Array(sample.length)
    for (let i = 0; i < sample.length; i++) {
      const scaled = f32(sampleCoeff * (sample[i] as number))
      prev[i] = f32(scaled - f32(f32(diff * (output[i] as number)) / denom))
    }
    return prev
  }
}
