import { describe, expect, it } from 'vitest'
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
})
