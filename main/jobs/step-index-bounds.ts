import type { CfgCutoff } from '../../shared/params'

/** What {@link stepIndexProblems} checks: the run's step-index settings and its length. */
export interface StepIndexSettings {
  cfgCutoff: CfgCutoff | null
  stopAtStep: number | null
  /** Steps asked for (N). */
  numInferenceSteps: number
  /** Timesteps the loop iterates (T): N for most schedulers, N + 1 for PNDM with skip_prk_steps. */
  numTimesteps: number
  /** The scheduler's class name, for the message when T ≠ N. */
  scheduler: string
}

/**
 * Step indices (CFG cutoff, stop) that the run would never reach, one sentence each, with the
 * bound: indices go from 0 to T − 1. Shared by main's queue (before a job is queued) and the
 * inference host (CLI and direct clients), so both say the same thing.
 */
export function stepIndexProblems(s: StepIndexSettings): string[] {
  const bound =
    s.numTimesteps === s.numInferenceSteps
      ? `below the number of steps (${s.numInferenceSteps})`
      : `below the number of timesteps (${s.scheduler} runs ${s.numTimesteps} for ${s.numInferenceSteps} steps)`
  const problems: string[] = []
  if (
    s.cfgCutoff !== null &&
    'stepIndex' in s.cfgCutoff &&
    s.cfgCutoff.stepIndex >= s.numTimesteps
  ) {
    problems.push(`cfgCutoff.stepIndex: must be ${bound}, got ${s.cfgCutoff.stepIndex}`)
  }
  if (s.stopAtStep !== null && s.stopAtStep >= s.numTimesteps) {
    problems.push(`stopAtStep: must be ${bound}, got ${s.stopAtStep}`)
  }
  return problems
}
