import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { ResolvedParams } from './job'

/**
 * Checks the parameters that only make sense against the chosen model and step count, before
 * anything is queued: a step index (CFG cutoff, stop) past the end of the run. Everything else
 * was checked by the schema; what only the graphs can tell is the engine's to report.
 */
export function checkAgainstModel(params: ResolvedParams, model: ModelSummary): void {
  const steps = params.numInferenceSteps
  const problems: string[] = []
  const cutoff = params.cfgCutoff
  if (cutoff !== null && 'stepIndex' in cutoff && cutoff.stepIndex >= steps) {
    problems.push(
      `cfgCutoff.stepIndex: must be below the number of steps (${steps}), got ${cutoff.stepIndex}`
    )
  }
  if (params.stopAtStep !== null && params.stopAtStep >= steps) {
    problems.push(
      `stopAtStep: must be below the number of steps (${steps}), got ${params.stopAtStep}`
    )
  }
  if (problems.length > 0) {
    throw new StepwiseError('invalid-argument', `${model.id}: ${problems.join('; ')}`)
  }
}
