import { resolve } from 'node:path'
import { serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import type { RunSnapshot } from '../engine'
import { generationRequest } from '../../testing/generation-requests'
import { PipelineCache } from './host/pipeline-cache'
import { startGeneration } from './host/run-generation'
import { StepStateSender, wholeStepState } from './step-state-delta'

const model = resolve(__dirname, '../../resources/models/stepwise-shapes-64')

/** The step states a real run sends (every step's, as the CLI asks), in order. */
async function stepStates(seed: number): Promise<RunSnapshot[]> {
  const states: RunSnapshot[] = []
  const run = startGeneration(
    generationRequest(
      {
        modelDir: model,
        prompt: 'a red circle',
        numInferenceSteps: 4,
        guidanceScale: 7.5,
        width: 128,
        height: 128,
        seed
      },
      { stepStateAfterMs: 0 }
    ),
    {
      phase: () => undefined,
      step: () => undefined,
      stepState: (snapshot) => {
        states.push(snapshot)
      },
      cutoff: () => undefined,
      warning: () => undefined
    },
    new PipelineCache()
  )
  await run.result
  return states
}

describe('step state deltas', () => {
  it('send the conditioning once per job, and main rebuilds every step state whole', async () => {
    const [first, second] = [await stepStates(1), await stepStates(2)]
    const sender = new StepStateSender()
    for (const [jobId, states] of [
      ['a', first],
      ['b', second]
    ] as const) {
      let previous: RunSnapshot | null = null
      states.forEach((state, i) => {
        const delta = sender.delta(jobId, state)
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
    const [first, second] = await stepStates(3)
    const sender = new StepStateSender()
    sender.delta('c', first as RunSnapshot)
    const later = sender.delta('c', second as RunSnapshot)
    expect(later.sameAsBefore.length).toBeGreaterThan(0)
    expect(wholeStepState(later, null)).toBeNull()
  })
})
