import type { CfgCutoff, SchedulerClassName } from '../contract'

/**
 * CFG-cutoff arithmetic, exactly as diffusers' cutoff callbacks do it: the callback fires at the
 * *end* of step index `cutoffStep`, so steps 0…cutoffStep run with guidance and the steps after it
 * without. A ratio becomes `int(T · ratio)`, which `Math.trunc` reproduces for IEEE doubles.
 */

/** Where guidance ends for a loop of `total` timesteps, or null when it never ends. */
export function cutoffStepFor(total: number, cutoff: CfgCutoff | null): number | null {
  if (cutoff === null) return null
  const step = 'ratio' in cutoff ? Math.trunc(total * cutoff.ratio) : cutoff.stepIndex
  // The callback compares `step_index == cutoff_step`; a step the loop never reaches never fires.
  return step >= 0 && step < total ? step : null
}

/** Whether step `index` runs with classifier-free guidance under a cutoff at `cutoffStep`. */
export function isGuidedStep(index: number, cutoffStep: number | null): boolean {
  return cutoffStep === null || index <= cutoffStep
}

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
 * How many timesteps the denoising loop will iterate (T) for `steps` inference steps, before the
 * engine reports it. diffusers' PNDM with `skip_prk_steps` (every SD model's config) repeats its
 * second-to-last timestep, so it iterates N + 1; the second-order Heun and KDPM2 schedulers
 * evaluate the model twice per step except the first, 2·N − 1; the others iterate N. During a
 * run the engine's own `total` replaces this estimate.
 */
export function expectedTimesteps(scheduler: SchedulerClassName | null, steps: number): number {
  if (scheduler === 'PNDMScheduler') return steps + 1
  if (
    scheduler === 'HeunDiscreteScheduler' ||
    scheduler === 'KDPM2DiscreteScheduler' ||
    scheduler === 'KDPM2AncestralDiscreteScheduler'
  ) {
    return 2 * steps - 1
  }
  return steps
}

/**
 * The smallest slider percentage whose cutoff step still lies ahead of a run that has finished
 * step `lastIndex`: a cutoff at or before a finished step would never fire, so the live slider
 * may not go below it.
 */
export function minLivePercent(total: number, lastIndex: number | null): number {
  if (lastIndex === null || total <= 0) return 0
  for (let percent = 0; percent <= 100; percent++) {
    if (Math.trunc((total * percent) / 100) > lastIndex) return percent
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
