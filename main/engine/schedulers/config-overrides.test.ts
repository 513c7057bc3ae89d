import { describe, expect, it } from 'vitest'
import { CONFIG_SPECS } from './config-specs'
import { DDIMScheduler } from './ddim-scheduler'
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep-scheduler'
import { EulerDiscreteScheduler } from './euler-discrete-scheduler'
import { PNDMScheduler } from './pndm-scheduler'
import type { SchedulerOverrides } from './config-overrides'

/**
 * Overrides are typed per class from the same spec table that validates them at run time: a key
 * of another class, a misspelt key or a value the class does not take does not compile (the
 * `@ts-expect-error` lines below are checked by `npm run typecheck`), and JavaScript callers get
 * the run-time message.
 */
describe('typed scheduler overrides', () => {
  it('accept each class’s own keys, snake_case or camelCase', () => {
    const karras = DPMSolverMultistepScheduler.fromConfig(
      {},
      {
        use_karras_sigmas: true,
        algorithmType: 'sde-dpmsolver++',
        solver_type: 'bh2' // an alias diffusers rewrites to midpoint
      }
    )
    expect(karras.config.use_karras_sigmas).toBe(true)
    expect(karras.config.algorithm_type).toBe('sde-dpmsolver++')
    expect(karras.config.solver_type).toBe('midpoint')
    const ddim = DDIMScheduler.fromConfig({}, { timestepSpacing: 'trailing' })
    expect(ddim.config.timestep_spacing).toBe('trailing')
  })

  it('refuse what the class does not take, at compile time and at run time', () => {
    // @ts-expect-error misspelt key
    expect(() => DPMSolverMultistepScheduler.fromConfig({}, { use_karas_sigmas: true })).toThrow(
      'DPMSolverMultistepScheduler: unknown config key "use_karas_sigmas"'
    )
    // @ts-expect-error a value DPM-Solver does not have
    expect(() => DPMSolverMultistepScheduler.fromConfig({}, { algorithm_type: 'ddim' })).toThrow(
      'DPMSolverMultistepScheduler: algorithm_type "ddim" is not supported'
    )
    // PNDM has no use_karras_sigmas: a compile error; at run time it is ignored, as diffusers
    // ignores another class's config keys.
    // @ts-expect-error not a PNDM key
    expect(PNDMScheduler.fromConfig({}, { use_karras_sigmas: true }).className).toBe(
      'PNDMScheduler'
    )
    // @ts-expect-error a number where a boolean belongs
    expect(() => EulerDiscreteScheduler.fromConfig({}, { use_karras_sigmas: 1 })).toThrow(
      'EulerDiscreteScheduler: use_karras_sigmas must be true or false (got 1)'
    )
  })

  it('cover every key of every class’s spec', () => {
    // A compile-time check: each spec's keys are keys of the class's overrides type.
    const pndm: Required<SchedulerOverrides<'PNDMScheduler'>> = {
      num_train_timesteps: 1000,
      numTrainTimesteps: 1000,
      beta_start: 0.00085,
      betaStart: 0.00085,
      beta_end: 0.012,
      betaEnd: 0.012,
      beta_schedule: 'scaled_linear',
      betaSchedule: 'scaled_linear',
      trained_betas: null,
      trainedBetas: null,
      skip_prk_steps: true,
      skipPrkSteps: true,
      set_alpha_to_one: false,
      setAlphaToOne: false,
      prediction_type: 'epsilon',
      predictionType: 'epsilon',
      timestep_spacing: 'leading',
      timestepSpacing: 'leading',
      steps_offset: 1,
      stepsOffset: 1
    }
    expect(
      Object.keys(pndm)
        .filter((k) => k.includes('_') || !/[A-Z]/.test(k))
        .sort()
    ).toEqual(Object.keys(CONFIG_SPECS.PNDMScheduler).sort())
  })
})
