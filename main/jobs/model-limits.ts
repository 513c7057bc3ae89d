import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { ResolvedParams } from './job'

/**
 * Checks the parameters that only make sense against the planned run: a step index (CFG
 * cutoff, stop) past its last timestep. `numTimesteps` is T, the number of steps the loop
 * iterates (see ./run-plan.ts): N for most schedulers, N + 1 for PNDM with `skip_prk_steps`, so
 * index N is valid there. Everything else was checked by the schema; what only the graphs can
 * tell is the engine's to report.
 */
export function checkAgainstModel(
  params: ResolvedParams,
  model: ModelSummary,
  numTimesteps: number
): void {
  const steps = params.numInferenceSteps
  const bound =
    numTimesteps === steps
      ? `below the number of steps (${steps})`
      : `below the number of timesteps (${params.scheduler} runs ${numTimesteps} for ${steps} steps)`
  const problems: string[] = []
  const cutoff = params.cfgCutoff
  if (cutoff !== null && 'stepIndex' in cutoff && cutoff.stepIndex >= numTimesteps) {
    problems.push(`cfgCutoff.stepIndex: must be ${bound}, got ${cutoff.stepIndex}`)
  }
  if (params.stopAtStep !== null && params.stopAtStep >= numTimesteps) {
    problems.push(`stopAtStep: must be ${bound}, got ${params.stopAtStep}`)
  }
  if (problems.length > 0) {
    throw new StepwiseError('invalid-argument', `${model.id}: ${problems.join('; ')}`)
  }
}
