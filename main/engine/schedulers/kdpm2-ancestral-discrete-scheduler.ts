import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import type { SchedulerConfigInput } from './config'
import type { SchedulerOverrides } from './config-overrides'
import { x0FromSigma } from './heun-discrete-scheduler'
import { KDPM2Base } from './kdpm2-discrete-scheduler'
import type { KDPM2DiscreteSchedulerConfig } from './kdpm2-discrete-scheduler'
import { f32 } from './numpy-compat'
import type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
import { doubleInterior, logMidpoint } from './second-order-schedule'
import { assertSameDims, floatData, makeTensor } from './tensor-ops'

/** The config of {@link KDPM2AncestralDiscreteScheduler} (the same keys as KDPM2's). */
export type KDPM2AncestralDiscreteSchedulerConfig = KDPM2DiscreteSchedulerConfig

/**
 * diffusers' `KDPM2AncestralDiscreteScheduler` ("DPM2 a"): KDPM2 stepping down to the ancestral
 * sigma_down, with fresh noise of size sigma_up drawn from the step's generator after the second
 * half of every step, exactly as diffusers draws it. `order` 2; N steps run 2·N − 1 model
 * evaluations.
 */
export class KDPM2AncestralDiscreteScheduler extends KDPM2Base {
  readonly className = 'KDPM2AncestralDiscreteScheduler'
  /** The ancestral noise sizes, doubled like the sigmas (float32 values). */
  sigmasUp: number[] = []
  /** The sigmas each step descends to before noise is added, doubled (float32 values). */
  sigmasDown: number[] = []

  /** Creates the scheduler from scheduler_config.json keys (snake_case) and overrides. */
  constructor(
    config: SchedulerConfigInput = {},
    overrides?: SchedulerOverrides<'KDPM2AncestralDiscreteScheduler'>
  ) {
    super('KDPM2AncestralDiscreteScheduler', config, overrides)
    this.setTimesteps(this.config.num_train_timesteps)
  }

  override setTimesteps(numInferenceSteps: number): void {
    this.buildSchedule(numInferenceSteps, (sigmas) => {
      const n = sigmas.length
      const next = sigmas.map((_, k) => (k + 1 < n ? (sigmas[k + 1] as number) : 0))
      const up = sigmas.map((s, k) => {
        const s2 = f32(s * s)
        const n2 = f32((next[k] as number) * (next[k] as number))
        return f32(Math.sqrt(f32(f32(n2 * f32(s2 - n2)) / s2)))
      })
      const down = up.map((u, k) => {
        if (k === n - 1) return 0
        const n2 = f32((next[k] as number) * (next[k] as number))
        return f32(Math.sqrt(f32(n2 - f32(u * u))))
      })
      const interpol = sigmas.map((s, k) => (k >= n - 2 ? 0 : logMidpoint(s, down[k] as number)))
      this.sigmasUp = doubleInterior(up)
      this.sigmasDown = doubleInterior(down)
      return { interpol, interleaved: (ti) => ti.slice(0, -2) }
    })
  }

  protected modelInputSigma(index: number): number {
    return (this.stateInFirstOrder ? this.sigmas[index] : this.sigmasInterpol[index - 1]) as number
  }

  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options: SchedulerStepOptions = {}
  ): SchedulerStepOutput {
    this.checkTimestepsSet()
    assertSameDims(modelOutput, sample, 'KDPM2AncestralDiscreteScheduler.step')
    const m = floatData(modelOutput, 'KDPM2AncestralDiscreteScheduler.step: modelOutput')
    const s = floatData(sample, 'KDPM2AncestralDiscreteScheduler.step: sample')
    const index = this.initStepIndex(t)
    const first = this.stateInFirstOrder
    const at = first ? index : index - 1
    const sigma = this.sigmas[at] as number
    const sigmaInterpol = this.sigmasInterpol[at] as number
    const x0 = x0FromSigma(this.config.prediction_type, m, s, first ? sigma : sigmaInterpol)
    const size = s.length
    const prev = new Float32Array(size)
    if (first) {
      const dt = f32(sigmaInterpol - sigma)
      for (let i = 0; i < size; i++) {
        const si = s[i] as number
        const derivative = f32(f32(si - (x0[i] as number)) / sigma)
        prev[i] = f32(si + f32(derivative * dt))
      }
      this.firstSample = s
    } else {
      const base = this.firstSample as Float32Array
      const dt = f32((this.sigmasDown[index - 1] as number) - sigma)
      const sigmaUp = this.sigmasUp[index - 1] as number
      const noise = floatData(
        randnTensor(modelOutput.dims, { generator: options.generator }),
        'KDPM2AncestralDiscreteScheduler.step: noise'
      )
      for (let i = 0; i < size; i++) {
        const derivative = f32(f32((s[i] as number) - (x0[i] as number)) / sigmaInterpol)
        const stepped = f32((base[i] as number) + f32(derivative * dt))
        prev[i] = f32(stepped + f32((noise[i] as number) * sigmaUp))
      }
      this.firstSample = null
    }
    this._stepIndex = index + 1
    return {
      prevSample: makeTensor(prev, sample.dims),
      predOriginalSample: makeTensor(x0, sample.dims)
    }
  }
}
