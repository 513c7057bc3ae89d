import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { createScheduler, SCHEDULER_CLASSES } from './index'
import type { SchedulerClassName } from '../../../shared/params'

/**
 * A scheduler's captured state puts a fresh scheduler of the same class and config exactly where
 * the first one was: stepping both on gives the same samples, bit for bit, for every class.
 */
const CONFIG = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1
}

function sample(seed: number): Tensor {
  const g = new Generator().manualSeed(seed)
  return new Tensor(
    'float32',
    Float32Array.from({ length: 32 }, () => g.nextFloat() - 0.5),
    [1, 2, 4, 4]
  )
}

describe('Scheduler.captureState / restoreState', () => {
  it.each(Object.keys(SCHEDULER_CLASSES) as SchedulerClassName[])(
    '%s continues bit for bit from a restored state',
    (name) => {
      const a = createScheduler(name, CONFIG)
      a.setTimesteps(6)
      const g = new Generator().manualSeed(9)
      let x = sample(1)
      const T = a.timesteps.length
      const k = Math.floor(T / 2)
      for (let i = 0; i <= k; i++) {
        const t = a.timesteps[i] as number
        x = a.step(sample(100 + i), t, a.scaleModelInput(x, t), {
          generator: g,
          eta: 0.5
        }).prevSample
      }
      const state = a.captureState()
      const gState = g.getState()
      const b = createScheduler(name, CONFIG)
      b.restoreState(state)
      const g2 = new Generator().setState(gState)
      let xa = x
      let xb = x
      for (let i = k + 1; i < T; i++) {
        const ta = a.timesteps[i] as number
        const tb = b.timesteps[i] as number
        expect(tb).toBe(ta)
        xa = a.step(sample(100 + i), ta, a.scaleModelInput(xa, ta), {
          generator: g,
          eta: 0.5
        }).prevSample
        xb = b.step(sample(100 + i), tb, b.scaleModelInput(xb, tb), {
          generator: g2,
          eta: 0.5
        }).prevSample
      }
      expect(Array.from(xb.data as Float32Array)).toEqual(Array.from(xa.data as Float32Array))
    }
  )

  it('refuses a state of another class, another config or another version’s fields', () => {
    const euler = createScheduler('EulerDiscreteScheduler', CONFIG)
    euler.setTimesteps(4)
    const state = euler.captureState()
    expect(() => createScheduler('DDIMScheduler', CONFIG).restoreState(state)).toThrow(
      'the saved scheduler state is of EulerDiscreteScheduler, not DDIMScheduler'
    )
    expect(() =>
      createScheduler('EulerDiscreteScheduler', CONFIG, { use_karras_sigmas: true }).restoreState(
        state
      )
    ).toThrow('the saved EulerDiscreteScheduler state was taken with another config')
    const renamed = { ...state, fields: { ...state.fields, sigmaList: [] } }
    delete (renamed.fields as Record<string, unknown>).sigmas
    expect(() => createScheduler('EulerDiscreteScheduler', CONFIG).restoreState(renamed)).toThrow(
      "the saved EulerDiscreteScheduler state does not match this version's scheduler (missing sigmas; unknown sigmaList)"
    )
  })
})
