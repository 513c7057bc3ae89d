import type { CfgCutoff } from './params'

/**
 * The step arithmetic of classifier-free-guidance cutoffs, in one place for the engine, main and
 * the renderer. Steps are numbered as diffusers' callback `i`: 0 … T − 1 over the timesteps the
 * loop runs (T = `num_timesteps`, which can exceed the number of inference steps N).
 */

/**
 * A share of the run as a step index, as diffusers computes it: `int(num_timesteps * ratio)`.
 * `Math.trunc` of the double product is Python's `int()` (T = 100, ratio 0.29 gives 28).
 */
export function ratioStepIndex(numTimesteps: number, ratio: number): number {
  return Math.trunc(numTimesteps * ratio)
}

/**
 * Where guidance ends in a loop of `numTimesteps` steps: the index of the last guided step (the
 * cutoff callback acts at the end of that step, so the steps after it run without guidance), or
 * null when there is no cutoff or its step lies past the loop (a callback comparing
 * `step_index == cutoff_step` never fires then).
 */
export function cutoffStepIndex(numTimesteps: number, cutoff: CfgCutoff | null): number | null {
  if (cutoff === null) return null
  const step = 'ratio' in cutoff ? ratioStepIndex(numTimesteps, cutoff.ratio) : cutoff.stepIndex
  return step >= 0 && step < numTimesteps ? step : null
}
