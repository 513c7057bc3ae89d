import { describe, expect, it } from 'vitest'
import { Tensor } from 'onnxruntime-node'
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference(
  'DPMSolverMultistepScheduler',
  (config) => new DPMSolverMultistepScheduler(config)
)

describe('DPMSolverMultistepScheduler config rules', () => {
  it('refuses combinations diffusers cannot run, naming what is allowed', () => {
    expect(() => new DPMSolverMultistepScheduler({ algorithm_type: 'dpmsolver' })).toThrow(
      'DPMSolverMultistepScheduler: final_sigmas_type "zero" is not supported for algorithm_type "dpmsolver" (allowed: sigma_min)'
    )
    expect(
      () =>
        new DPMSolverMultistepScheduler({
          algorithm_type: 'sde-dpmsolver',
          final_sigmas_type: 'sigma_min',
          solver_order: 3
        })
    ).toThrow(/"sde-dpmsolver" has no third-order update \(allowed solver_order: 1, 2\)/)
    expect(() => new DPMSolverMultistepScheduler({ solver_order: 4 })).toThrow(
      'DPMSolverMultistepScheduler: solver_order 4 is not supported (allowed: 1, 2, 3)'
    )
    expect(
      () =>
        new DPMSolverMultistepScheduler({ use_karras_sigmas: true, use_exponential_sigmas: true })
    ).toThrow(/only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas/)
  })

  it('exposes the x0 prediction as denoised and the lower-order bookkeeping like diffusers', () => {
    const s = new DPMSolverMultistepScheduler({ beta_schedule: 'scaled_linear' })
    s.setTimesteps(3)
    expect(s.sigmas).toHaveLength(4)
    expect(s.sigmas[3]).toBe(0)
    const x = new Tensor('float32', new Float32Array(16).fill(1), [1, 1, 4, 4])
    const out = s.step(x, s.timesteps[0] as number, x)
    expect(out.denoised?.dims).toEqual([1, 1, 4, 4])
    expect(s.stepIndex).toBe(1)
    // A timestep that is not in the schedule maps to the last step (diffusers' DPM rule).
    expect(s.indexForTimestep(12345)).toBe(2)
  })
})
