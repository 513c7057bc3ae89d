import { describe, expect, it } from 'vitest'
import { PNDMScheduler } from './pndm-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('PNDMScheduler', (config) => new PNDMScheduler(config))

describe('PNDMScheduler', () => {
  it('runs n + 1 PLMS timesteps with skip_prk_steps (the second repeated), like diffusers', () => {
    const s = new PNDMScheduler({ skip_prk_steps: true, steps_offset: 1 })
    s.setTimesteps(4)
    expect(s.timesteps).toEqual([751, 501, 501, 251, 1])
    expect(s.prkTimesteps).toEqual([])
  })

  it('needs at least 4 steps for the Runge-Kutta warm-up and says so', () => {
    expect(() => new PNDMScheduler().setTimesteps(3)).toThrow(
      /with skip_prk_steps false the Runge-Kutta warm-up needs at least 4 steps \(got 3\)/
    )
  })
})
