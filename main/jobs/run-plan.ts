import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { ModelLoadError, openModelFolder } from '../engine/models'
import { estimateRunMemory, memoryRefusal } from '../engine/pipelines/memory-estimate'
import { schedulerForRequest, schedulerFromConfig } from '../engine'
import type { ResolvedParams } from './job'

/**
 * What a job will do, worked out in main before it is queued, from the model folder as it is
 * now: how many timesteps its scheduler iterates (T, which bounds step indices: PNDM with
 * `skip_prk_steps` runs N + 1 for N steps) and whether its size fits in memory. A job that cannot
 * run is refused here, with the same message the engine would give, before it changes anything.
 */
export interface RunPlan {
  /** Timesteps the denoising loop will iterate (T). */
  numTimesteps: number
}

/** Options of {@link planRun}. */
export interface PlanOptions {
  /** Memory limit for the estimate (tests); default: the engine's (75% of physical memory). */
  memoryLimitBytes?: number
}

/** Plans `params` on `model`; throws invalid-argument naming what is wrong. */
export async function planRun(
  params: ResolvedParams,
  model: ModelSummary,
  options: PlanOptions = {}
): Promise<RunPlan> {
  let folder
  try {
    folder = await openModelFolder(model.path)
  } catch (error) {
    if (!(error instanceof ModelLoadError)) throw error
    throw new StepwiseError('invalid-argument', `${model.id}: ${error.message}`)
  }
  // The scheduler the inference process will build (schedulerForRequest, as run-generation
  // does): the requested class on the model's own scheduler config, with Karras sigmas and an
  // algorithm type where the class has them. T comes from its timesteps: 2·N − 1 for the
  // second-order Heun / KDPM2 schedulers, N + 1 for PNDM with skip_prk_steps.
  const configured = folder.stepwise?.defaults.scheduler ?? folder.schedulerConfig['_class_name']
  const base = schedulerFromConfig(
    typeof configured === 'string' ? configured : null,
    folder.schedulerConfig
  ).scheduler
  let scheduler
  try {
    scheduler = schedulerForRequest(base, params)
  } catch (error) {
    throw new StepwiseError(
      'invalid-argument',
      `${model.id}: scheduler: ${(error as Error).message}`
    )
  }
  try {
    scheduler.setTimesteps(params.numInferenceSteps)
  } catch (error) {
    throw new StepwiseError(
      'invalid-argument',
      `${model.id}: numInferenceSteps: ${(error as Error).message}`
    )
  }
  const images = params.numImagesPerPrompt
  const shape = {
    width: params.width,
    height: params.height,
    unetRows: images * (params.guidanceScale > 1 ? 2 : 1),
    images
  }
  const tooLarge = memoryRefusal(shape, estimateRunMemory(folder, shape), options.memoryLimitBytes)
  if (tooLarge !== null) throw new StepwiseError('invalid-argument', `${model.id}: ${tooLarge}`)
  return { numTimesteps: scheduler.timesteps.length }
}
