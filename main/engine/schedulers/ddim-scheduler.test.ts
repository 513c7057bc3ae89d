import { describe, expect, it } from 'vitest'
import { Tensor } from 'onnxruntime-node'
import { Generator } from '../random/generator'
import { DDIMScheduler } from './ddim-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('DDIMScheduler', (config) => new DDIMScheduler(config))

describe('DDIMScheduler', () => {
  it('rejects bad step counts with the allowed range', () => {
    const s = new DDIMScheduler()
    for (const n of [0, -1, 2.5, 1001, Number.NaN]) {
      expect(() => s.setTimesteps(n)).toThrow(
        /DDIMScheduler.setTimesteps: numInferenceSteps must be an integer from 1 to 1000/
      )
    }
  })

  it('refuses step() before setTimesteps and timesteps outside training', () => {
    const s = new DDIMScheduler()
    const x = new Tensor('float32', new Float32Array(4), [1, 1, 2, 2])
    expect(() => s.step(x, 999, x)).toThrow(/call setTimesteps\(n\) before step\(\)/)
    s.setTimesteps(10)
    expect(() => s.step(x, 1000, x)).toThrow(/timestep 1000 is outside the training schedule/)
  })

  it('refuses generator and varianceNoise together, like diffusers', () => {
    const s = new DDIMScheduler()
    s.setTimesteps(4)
    const x = new Tensor('float32', new Float32Array(4), [1, 1, 2, 2])
    const t = s.timesteps[0] as number
    expect(() =>
      s.step(x, t, x, { eta: 1, varianceNoise: x, generator: new Generator().manualSeed(0) })
    ).toThrow(/either generator or varianceNoise/)
  })

  it('names the key, the value and the allowed values of an unsupported config value', () => {
    expect(() => new DDIMScheduler({ prediction_type: 'flow' })).toThrow(
      'DDIMScheduler: prediction_type "flow" is not supported (allowed: epsilon, sample, v_prediction)'
    )
    expect(() => new DDIMScheduler({ timestep_spacing: 'even' })).toThrow(
      /timestep_spacing "even" is not supported \(allowed: linspace, leading, trailing\)/
    )
    expect(() => new DDIMScheduler({ beta_schedule: 'cosine' })).toThrow(
      /beta_schedule "cosine" is not supported \(allowed: linear, scaled_linear, squaredcos_cap_v2\)/
    )
  })
})
