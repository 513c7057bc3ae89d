import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { ModelLoadError, openModelFolder } from '../engine'
import { estimateRunMemory, memoryRefusal } from '../engine'
import { schedulerFromConfig } from '../engine'
import { createScheduler } from '../engine'
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
  // The scheduler the worker will build (run-generation.ts): the requested class on the model's
  // own scheduler config, with Karras sigmas where the class has them.
  const configured = folder.stepwise?.defaults.scheduler ?? folder.schedulerConfig['_class_name']
  const base = schedulerFromConfig(
    typeof configured === 'string' ? configured : null,
    folder.schedulerConfig
  ).scheduler
  const karras =
    params.useKarrasSigmas && 'use_karras_sigmas' in createScheduler(params.scheduler).config
  const scheduler = createScheduler(
    params.scheduler,
    base.config,
    karras ? { use_karras_sigmas: true } : {}
  )
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
