import { describe, expect, it } from 'vitest'
import { LCMScheduler } from './lcm-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('LCMScheduler', (config) => new LCMScheduler(config))

describe('LCMScheduler', () => {
  it('refuses more steps than original_inference_steps, naming both', () => {
    const s = new LCMScheduler({ original_inference_steps: 50 })
    expect(() => s.setTimesteps(51)).toThrow(
      /numInferenceSteps must be an integer from 1 to 50 \(original_inference_steps/
    )
    expect(() => new LCMScheduler({ original_inference_steps: 2000 }).setTimesteps(4)).toThrow(
      /original_inference_steps 2000 cannot be larger than num_train_timesteps 1000/
    )
  })

  it('picks timesteps from the distillation schedule like diffusers', () => {
    const s = new LCMScheduler({ original_inference_steps: 50 })
    s.setTimesteps(4)
    expect(s.timesteps).toEqual([999, 759, 499, 259])
  })
})
