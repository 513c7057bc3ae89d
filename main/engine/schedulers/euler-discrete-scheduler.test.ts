import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { applyClassifierFreeGuidance } from '../pipelines/guidance'
import { EulerDiscreteScheduler } from './euler-discrete-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference(
  'EulerDiscreteScheduler',
  (config) => new EulerDiscreteScheduler(config),
  {
    timestepTolerance: 2e-3
  }
)

describe('EulerDiscreteScheduler', () => {
  it('refuses two sigma schedules at once and beta sigmas', () => {
    expect(
      () => new EulerDiscreteScheduler({ use_karras_sigmas: true, use_exponential_sigmas: true })
    ).toThrow(/only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas/)
    expect(() => new EulerDiscreteScheduler({ use_beta_sigmas: true })).toThrow(
      /use_beta_sigmas true is not supported: .* \(allowed: false\)/
    )
  })

  it('refuses a timestep that is not in its schedule', () => {
    const s = new EulerDiscreteScheduler()
    s.setTimesteps(4)
    expect(() => s.indexForTimestep(12.5)).toThrow(
      /timestep 12.5 is not one of this scheduler's timesteps/
    )
  })

  it('tracks the step index from the first timestep and from setBeginIndex', () => {
    const s = new EulerDiscreteScheduler({ timestep_spacing: 'trailing' })
    s.setTimesteps(4)
    expect(s.stepIndex).toBeNull()
    s.setBeginIndex(2)
    expect(s.beginIndex).toBe(2)
    s.setTimesteps(4)
    expect(s.beginIndex).toBeNull()
  })

  it('guides and steps in one pass with the same bits as guiding then stepping', () => {
    const dims = [1, 4, 8, 8]
    const n = 4 * 8 * 8
    const wave = (k: number, phase: number): number => Math.fround(Math.sin(k * 0.37 + phase) * 2)
    const output = (): Tensor =>
      new Tensor(
        'float32',
        Float32Array.from({ length: 2 * n }, (_, k) => wave(k, 1)),
        [2, 4, 8, 8]
      )
    let sample: Tensor = new Tensor(
      'float32',
      Float32Array.from({ length: n }, (_, k) => wave(k, 2)),
      dims
    )
    const fused = new EulerDiscreteScheduler()
    const apart = new EulerDiscreteScheduler()
    fused.setTimesteps(5)
    apart.setTimesteps(5)
    for (const t of fused.timesteps) {
      const one = fused.stepGuided(output(), 7.5, t, sample)
      const two = apart.step(applyClassifierFreeGuidance(output(), 7.5).guided, t, sample)
      expect(one).not.toBeNull()
      expect(Array.from(one?.prevSample.data as Float32Array)).toEqual(
        Array.from(two.prevSample.data as Float32Array)
      )
      expect(Array.from(one?.predOriginalSample?.data as Float32Array)).toEqual(
        Array.from(two.predOriginalSample?.data as Float32Array)
      )
      expect(fused.stepIndex).toBe(apart.stepIndex)
      sample = two.prevSample
    }
  })

  it('leaves guidance to the caller where it has no one pass, before taking any step', () => {
    const sample = new Tensor('float32', new Float32Array(16).fill(0.5), [1, 4, 2, 2])
    const output = new Tensor('float32', new Float32Array(32).fill(0.1), [2, 4, 2, 2])
    const v = new EulerDiscreteScheduler({ prediction_type: 'v_prediction' })
    v.setTimesteps(3)
    expect(v.stepGuided(output, 7.5, v.timesteps[0] as number, sample)).toBeNull()
    const churn = new EulerDiscreteScheduler()
    churn.setTimesteps(3)
    const t = churn.timesteps[0] as number
    expect(churn.stepGuided(output, 7.5, t, sample, { sChurn: 1, sTmax: 1e9 })).toBeNull()
    // Not a [uncond ; cond] pair of the sample's batch.
    expect(churn.stepGuided(sample, 7.5, t, sample)).toBeNull()
    // The step index found for t, as scaleModelInput sets it; no step was taken.
    expect(churn.stepIndex).toBe(0)
  })
})
