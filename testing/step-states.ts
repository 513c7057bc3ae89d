import { resolve } from 'node:path'
import type { RunSnapshot } from '../main/engine'
import { PipelineCache } from '../main/inference/host/pipeline-cache'
import { startGeneration } from '../main/inference/host/run-generation'
import { generationRequest } from './generation-requests'

const model = resolve(__dirname, '../resources/models/stepwise-shapes-64')

/**
 * The step states a real 4-step run on the shipped model keeps for "stop now" (every step's, as
 * the CLI asks), in order.
 */
export async function stepStatesOfRun(seed: number): Promise<RunSnapshot[]> {
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
