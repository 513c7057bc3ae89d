import { StopNowRecord } from '../inference/client/stop-now'
import { decodeState } from '../inference/host/decode-state'
import type { GenerationRun } from '../inference/host/generation-hooks'
import type { PipelineCache } from '../inference/host/pipeline-cache'
import type { GenerationRequest, GenerationResult, InferenceStep } from '../inference/protocol'

/**
 * The CLI's "stop now" (a second Ctrl-C): the step in progress is not waited for. onnxruntime
 * runs it on its own threads, so this process can act at once: the last finished step's latents
 * are decoded (beside the abandoned step, which the process's exit ends) and become the result,
 * with that step's state for `--save-state`, exactly as the app's stop now gives it. Null when
 * no step had finished, or for an image run (it keeps no step state).
 */
export async function stopNowResult(
  run: GenerationRun,
  request: GenerationRequest,
  cache: PipelineCache,
  steps: readonly InferenceStep[]
): Promise<GenerationResult | null> {
  const state = run.lastSnapshot()
  if (state === null) return null
  const record = new StopNowRecord(request)
  for (const step of steps) {
    if (step.index <= state.step) record.observe({ type: 'step', jobId: '', step })
  }
  record.observe({ type: 'step-state', jobId: '', snapshot: state })
  return record.result(await decodeState(request, state, cache), null)
}
