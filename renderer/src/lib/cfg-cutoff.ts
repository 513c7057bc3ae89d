import { ratioStepIndex } from '../../../shared/cfg-cutoff'
import type { CfgCutoff } from '../contract'

/**
 * What the CFG-cutoff control shows: the slider's limits and the UNet work saved. Where guidance
 * ends (the cutoff step) comes from main's plan and reports, or from shared/cfg-cutoff.ts, the
 * one formula for it: the callback acts at the *end* of step index `cutoffStep`, so steps
 * 0…cutoffStep run with guidance and the steps after it without.
 */

/**
 * UNet work a cutoff saves, as a fraction of the work without it: each step after the cutoff runs
 * the UNet on half the batch (B instead of 2B). Nothing is saved when guidance is off anyway
 * (diffusers' `do_classifier_free_guidance` is `guidance_scale > 1`).
 */
export function predictedUnetSaving(
  total: number,
  cutoffStep: number | null,
  guidanceScale: number
): number {
  if (total <= 0 || cutoffStep === null || guidanceScale <= 1) return 0
  const unguidedSteps = Math.max(0, total - cutoffStep - 1)
  return (unguidedSteps / total) * 0.5
}

/**
 * The smallest slider percentage whose cutoff step still lies ahead of a run that has finished
 * step `lastIndex`: a cutoff at or before a finished step would never fire, so the live slider
 * may not go below it.
 */
export function minLivePercent(total: number, lastIndex: number | null): number {
  if (lastIndex === null || total <= 0) return 0
  for (let percent = 0; percent <= 100; percent++) {
    if (ratioStepIndex(total, percent / 100) > lastIndex) return percent
  }
  return 100
}

/** The cutoff a slider position means: 100 % is "guidance until the end" (no cutoff). */
export function cutoffFromPercent(percent: number): CfgCutoff | null {
  return percent >= 100 ? null : { ratio: percent / 100 }
}

/**
 * UNet work a finished run actually saved, counted in batch rows rather than milliseconds (which
 * a busy machine makes noisy): each step's reported batch against the full CFG batch, the largest
 * one the run used. 0 when every step ran the same batch.
 */
export function batchWorkSaved(steps: readonly { unetBatch: number }[]): number {
  const full = Math.max(0, ...steps.map((s) => s.unetBatch))
  if (steps.length === 0 || full === 0) return 0
  const saved = steps.reduce((sum, s) => sum + (full - s.unetBatch), 0)
  return saved / (full * steps.length)
}
