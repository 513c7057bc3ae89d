import { lastGuidedStep } from '../../../shared/guidance-window'
import { isTerminalJobState } from '../contract'
import { liveWindow } from './job-store'
import type { JobStoreState, LiveJob, LiveStep } from './job-store'

/**
 * Selectors of the live job for `useJobStore(selector)`. The live job is replaced on every step
 * batch (once per animation frame during a fast run), so a component that subscribed to `live`
 * itself would re-render every frame; each of these returns a primitive or a reference that
 * only changes when what it names changes, so a component re-renders when what it shows does.
 */

/** No steps yet: one shared empty list, so "no live job" does not look like a change. */
export const NO_STEPS: readonly LiveStep[] = []

/** Whether the live job has not ended (queued or running). */
export function selectRunning(s: JobStoreState): boolean {
  return s.live !== null && !isTerminalJobState(s.live.state)
}

/** The live job's finished steps (a new list only when steps were added). */
export function selectSteps(s: JobStoreState): readonly LiveStep[] {
  return s.live?.steps ?? NO_STEPS
}

/** Steps finished so far. */
export function selectStepsDone(s: JobStoreState): number {
  return s.live?.steps.length ?? 0
}

/** T of the live job (0 without one). */
export function selectTotal(s: JobStoreState): number {
  return s.live?.total ?? 0
}

/** The index of the newest finished step, or null before the first. */
export function selectLastStepIndex(s: JobStoreState): number | null {
  const steps = s.live?.steps
  return steps === undefined || steps.length === 0
    ? null
    : (steps[steps.length - 1] as LiveStep).index
}

/** The method that made the newest step's preview (undefined: none, or no step yet). */
export function selectLastPreviewMethod(s: JobStoreState): LiveStep['previewMethod'] {
  const steps = s.live?.steps
  return steps === undefined || steps.length === 0
    ? undefined
    : (steps[steps.length - 1] as LiveStep).previewMethod
}

/** The step opened for inspection, if it exists in the live job (the record itself, stable). */
export function selectInspectedStep(s: JobStoreState): LiveStep | undefined {
  const index = s.inspectedStep
  if (index === null || s.live === null) return undefined
  const steps = s.live.steps
  // Steps arrive in order from index 0, so the index is normally the position.
  const atPosition = steps[index]
  return atPosition?.index === index ? atPosition : steps.find((step) => step.index === index)
}

/**
 * Where guidance ends for the live job as the step strip draws it: the inference process's live report,
 * else what the finished run recorded, else the planned cutoff of its parameters.
 */
export function shownCutoffStep(live: LiveJob | null): number | null {
  if (live === null) return null
  if (live.cutoff !== null) return live.cutoff.cutoffStep
  return (
    live.result?.cfgCutoffStep ??
    lastGuidedStep(live.total, live.params?.cfgCutoff ?? null, live.params?.cfgInterval ?? null)
  )
}

/** {@link shownCutoffStep} as a selector. */
export function selectShownCutoffStep(s: JobStoreState): number | null {
  return shownCutoffStep(s.live)
}

/**
 * Where guidance starts for the live job (0 without a guidance interval): the inference
 * process's live report, else its parameters' plan.
 */
export function selectShownStartStep(s: JobStoreState): number {
  return s.live === null ? 0 : liveWindow(s.live).start
}

/**
 * Whether the live job's steps can be branched from: its parameters are known and it is not an
 * image run (a run snapshot does not keep the picture, noise and mask it needs).
 */
export function selectCanBranch(s: JobStoreState): boolean {
  return s.live?.params != null && s.live.params.initImage == null
}
