import { checkSnapshotScheduler } from '../../engine'
import { checkStepIndices, planSchedule } from '../../jobs/run-plan'
import type { SchedulePlan } from '../../jobs/run-plan'
import type { GenerationRequest } from '../protocol'
import type { CachedPipeline } from './pipeline-cache'

/**
 * Plans the run on the loaded pipeline (main/jobs/run-plan.ts, as main's queue planned it
 * before queueing) and sets its scheduler. Refuses a cutoff, interval, stop or resume index the
 * run would never reach, and a continued run whose scheduler is not its snapshot's, before
 * anything runs: main's queue checked the same, this covers the CLI and direct clients of the
 * inference process.
 */
export function applyPlan(cached: CachedPipeline, request: GenerationRequest): SchedulePlan {
  const plan = planOn(cached, request)
  cached.pipe.scheduler = plan.scheduler
  return plan
}

/** {@link applyPlan} without setting the scheduler: what the run is, for a stopped run's result. */
export function planOn(cached: CachedPipeline, request: GenerationRequest): SchedulePlan {
  const numInferenceSteps = request.numInferenceSteps ?? cached.pipe.defaults.numInferenceSteps
  const strength =
    request.initImage === undefined || request.initImage === null
      ? null
      : (request.strength ?? 0.75)
  const settings = { ...request, numInferenceSteps, strength }
  const plan = planSchedule(cached.modelScheduler, settings)
  const resume = request.resumeFrom ?? null
  checkStepIndices(
    { ...settings, resumeFrom: resume === null ? null : { step: resume.step } },
    plan.numTimesteps,
    plan.schedulerName
  )
  if (resume !== null) checkSnapshotScheduler(resume, plan.scheduler)
  return plan
}

/**
 * The memory mode the run plan chose (it checked the size against the app's limit before
 * queueing): set on the cached pipeline for this run, whatever an earlier run left.
 */
export function applyMemoryMode(
  pipe: CachedPipeline['pipe'],
  mode: NonNullable<GenerationRequest['memoryMode']>
): void {
  if (mode === 'low-memory') {
    pipe.enableLowMemoryMode('always')
    return
  }
  pipe.disableLowMemoryMode()
  if (mode === 'vae-tiles') pipe.enableVaeTiling('always')
  else pipe.disableVaeTiling()
}
