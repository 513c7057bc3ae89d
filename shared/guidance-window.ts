import { cutoffStepIndex, ratioStepIndex } from './cfg-cutoff'
import type { CfgCutoff, CfgInterval } from './params'

/**
 * The guidance window of a run, one rule for the engine, main and the renderer: the UNet
 * evaluations at step indices `start ≤ i < end` run with classifier-free guidance, the others
 * at batch 1 without it. An interval gives `[int(T · startRatio), int(T · endRatio))` (or its
 * step indices); a cutoff with index c gives `[0, c + 1)`; with both, guidance runs where both
 * allow it.
 */
export interface GuidanceWindowSteps {
  /** The first guided step index. */
  start: number
  /** One past the last guided step index (at most T). */
  end: number
}

/** The window of an interval alone, in step indices, clipped to the run. */
export function intervalSteps(
  numTimesteps: number,
  interval: CfgInterval | null
): GuidanceWindowSteps {
  if (interval === null) return { start: 0, end: numTimesteps }
  const [start, end] =
    'startRatio' in interval
      ? [
          ratioStepIndex(numTimesteps, interval.startRatio),
          ratioStepIndex(numTimesteps, interval.endRatio)
        ]
      : [interval.startStepIndex, interval.endStepIndex]
  return { start: Math.min(start, numTimesteps), end: Math.min(end, numTimesteps) }
}

/** The window of a run with an optional cutoff and an optional interval. */
export function guidanceWindow(
  numTimesteps: number,
  cutoff: CfgCutoff | null,
  interval: CfgInterval | null
): GuidanceWindowSteps {
  const w = intervalSteps(numTimesteps, interval)
  const c = cutoffStepIndex(numTimesteps, cutoff)
  return { start: w.start, end: c === null ? w.end : Math.min(w.end, c + 1) }
}

/** Whether step `index` runs with guidance. */
export function isGuided(window: GuidanceWindowSteps, index: number): boolean {
  return index >= window.start && index < window.end
}

/**
 * The index of the last guided step when guidance ends before the run does, else null: the
 * step at whose end the callback turns guidance off (what the app calls the cutoff step). A
 * cutoff at the last step counts, as it always has: diffusers' callback acts there.
 */
export function lastGuidedStep(
  numTimesteps: number,
  cutoff: CfgCutoff | null,
  interval: CfgInterval | null
): number | null {
  const c = cutoffStepIndex(numTimesteps, cutoff)
  const end = intervalSteps(numTimesteps, interval).end
  const fromInterval = interval !== null && end < numTimesteps ? end - 1 : null
  if (c === null) return fromInterval
  return fromInterval === null ? c : Math.min(c, fromInterval)
}

/**
 * UNet work a window saves, as a fraction of the work with guidance on every step: each
 * unguided step runs half the batch (B instead of 2B). Nothing when guidance is off anyway
 * (diffusers' `do_classifier_free_guidance` is `guidance_scale > 1`).
 */
export function predictedWindowSaving(
  numTimesteps: number,
  window: GuidanceWindowSteps,
  guidanceScale: number
): number {
  if (numTimesteps <= 0 || guidanceScale <= 1) return 0
  const guided = Math.max(0, Math.min(window.end, numTimesteps) - window.start)
  return ((numTimesteps - guided) / numTimesteps) * 0.5
}
