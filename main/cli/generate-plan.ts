import { paramLabel } from '../../shared/labels'
import type { GenerationRequest } from '../inference/protocol'
import { memoryLimitFromEnv, planRun, RunPlanError, type RunPlan } from '../jobs/run-plan'
import { FLAG_OF_FIELD, type LowMemoryFlag } from './generate-options'
import { UsageError } from './usage-error'

/**
 * Plans the run on the model folder before anything loads, as the app's queue does: a cutoff or
 * stop index past the last step, a step count the scheduler refuses, or a size too large for
 * memory is a usage error (exit 2), named by its flag. A size the normal mode cannot fit runs in the
 * mode the plan chose (`--low-memory auto`): the VAE in tiles, or the low-memory mode.
 */
export async function refuseUnplannable(
  request: GenerationRequest,
  lowMemory: LowMemoryFlag
): Promise<RunPlan> {
  try {
    return await planRun(
      request.modelDir,
      {
        ...request,
        numInferenceSteps: request.numInferenceSteps as number,
        guidanceScale: request.guidanceScale as number,
        width: request.width as number,
        height: request.height as number
      },
      { lowMemory, ...limitFromEnv() }
    )
  } catch (error) {
    // A setting that names a step the run never reaches is a usage error; a run too large for
    // this machine's memory is not the command line's fault (exit 1, as when it ran out).
    if (!(error instanceof RunPlanError) || error.problems.some((p) => p.param === null))
      throw error
    throw new UsageError(error.describe((param) => FLAG_OF_FIELD[param] ?? paramLabel(param)))
  }
}

/** `STEPWISE_MEMORY_LIMIT_BYTES` as the plan's limit (a bad value is a usage error naming it). */
function limitFromEnv(): { memoryLimitBytes?: number } {
  try {
    const limit = memoryLimitFromEnv()
    return limit === undefined ? {} : { memoryLimitBytes: limit }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}
