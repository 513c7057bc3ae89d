import type { CallbackKwargs, PipelineRunState } from '../callbacks/callback-types'
import { GUIDANCE_TENSOR_INPUTS } from '../callbacks/cfg-interval-callback'
import { keepConditionalHalf } from '../callbacks/keep-conditional-half'
import { createScheduler, type Scheduler } from '../schedulers'
import type { SchedulerClassName } from '../../../shared/params'
import { keptAsideOf, tensorOf } from '../snapshots/resume'
import { RunSnapshotError, type RunSnapshot } from '../snapshots/run-snapshot'
import type { LoopTensors } from './denoising-loop'

/** How a continued run starts from its snapshot: its guidance, conditioning and scheduler. */

/** The scale a snapshot's guidance runs (or comes back) with. */
export function currentGuidanceScale(snap: RunSnapshot): number {
  const g = snap.guidance
  return g.cfg ? g.guidanceScale : (g.keptAside?.guidanceScale ?? g.guidanceScale)
}

/** A snapshot's conditioning tensors (all but the latents), as the loop holds them. */
export function conditioningOf(snap: RunSnapshot): LoopTensors {
  const tensors: LoopTensors = {}
  for (const [name, t] of Object.entries(snap.tensors)) {
    if (name !== 'latents') tensors[name] = t === null ? null : tensorOf(t, false)
  }
  return tensors
}

/** A scheduler of the snapshot's class and config, in its saved state. */
export function restoredScheduler(snap: RunSnapshot): Scheduler {
  try {
    const scheduler = createScheduler(
      snap.scheduler.className as SchedulerClassName,
      snap.scheduler.config
    )
    scheduler.restoreState(snap.scheduler)
    return scheduler
  } catch (error) {
    throw new RunSnapshotError(
      `the snapshot's scheduler cannot be restored: ${(error as Error).message}`
    )
  }
}

/**
 * Puts a snapshot's guidance back for a continued run. With the snapshot's own conditioning:
 * its scale, on/off state and kept-aside rows, the scale replaced when the call asks for
 * another. With newly encoded prompts (a branch): guidance stays off, their unconditional rows
 * kept aside, when the snapshot had it off with rows kept aside; otherwise it is on.
 */
export function restoreSnapshotGuidance(
  pipeline: PipelineRunState,
  snap: RunSnapshot,
  tensors: LoopTensors,
  encoded: boolean,
  askedScale: number | undefined
): void {
  const names = GUIDANCE_TENSOR_INPUTS[pipeline.family]
  const scale = pipeline._guidanceScale
  if (encoded) {
    if (snap.guidance.keptAside !== null && pipeline.doClassifierFreeGuidance) {
      keepConditionalHalf(pipeline, tensors as CallbackKwargs, names)
    }
    return
  }
  pipeline._guidanceScale = snap.guidance.guidanceScale
  pipeline._keptAside = keptAsideOf(snap)
  if (askedScale === undefined) return
  if (snap.guidance.cfg && scale <= 1) {
    // Guidance 1 or less is no guidance: its rows go, and it does not come back.
    keepConditionalHalf(pipeline, tensors as CallbackKwargs, names)
    pipeline._keptAside = null
    pipeline._guidanceScale = scale
  } else if (snap.guidance.cfg) {
    pipeline._guidanceScale = scale
  } else if (pipeline._keptAside !== null) {
    pipeline._keptAside.guidanceScale = scale
  }
}
