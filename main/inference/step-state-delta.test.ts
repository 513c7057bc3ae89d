import { serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import type { RunSnapshot } from '../engine'
import { stepStatesOfRun } from '../../testing/step-states'
import { StepStateSender, wholeStepState } from './step-state-delta'

describe('step state deltas', () => {
  it('send the conditioning once per job, and main rebuilds every step state whole', async () => {
    const [first, second] = [await stepStatesOfRun(1), await stepStatesOfRun(2)]
    for (const states of [first, second]) {
      // One sender per job, as each job's journal writer has.
      const sender = new StepStateSender()
      let previous: RunSnapshot | null = null
      states.forEach((state, i) => {
        const delta = sender.delta(state)
        // A new job starts with the whole state; later steps leave the embeddings out.
        const conditioning = Object.keys(state.tensors).filter((n) => n !== 'latents')
        expect(conditioning.length).toBeGreaterThan(0)
        expect(delta.sameAsBefore).toEqual(i === 0 ? [] : conditioning)
        expect(Object.keys(delta.snapshot.tensors)).toEqual(
          i === 0 ? Object.keys(state.tensors) : ['latents']
        )
        if (i > 0) expect(serialize(delta).length).toBeLessThan(serialize(state).length / 3)
        const whole = wholeStepState(delta, previous)
        expect(whole).not.toBeNull()
        expect(whole).toEqual(state)
        previous = whole
      })
      // The process keeps its own snapshots whole.
      expect(Object.keys(states[1]?.tensors ?? {})).toEqual(Object.keys(states[0]?.tensors ?? {}))
    }
  })

  it('gives no state rather than a broken one when the previous state is missing', async () => {
    const [first, second] = await stepStatesOfRun(3)
    const sender = new StepStateSender()
    sender.delta(first as RunSnapshot)
    const later = sender.delta(second as RunSnapshot)
    expect(later.sameAsBefore.length).toBeGreaterThan(0)
    expect(wholeStepState(later, null)).toBeNull()
  })
})
