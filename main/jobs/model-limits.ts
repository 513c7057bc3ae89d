import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { stepIndexProblems } from './step-index-bounds'
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
  const problems = stepIndexProblems({ ...params, numTimesteps })
  if (problems.length > 0) {
    throw new StepwiseError('invalid-argument', `${model.id}: ${problems.join('; ')}`)
  }
}
