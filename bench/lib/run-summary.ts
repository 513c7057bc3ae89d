import { median, sum } from './stats'
import type { RunRecord } from './app-runs'

/** The figures of one run that the benchmark's items are built from. */
export interface RunSummary {
  /** Steps the loop ran (T). */
  steps: number
  /**
   * Denoising wall time: step 0's own time plus the time from the end of step 0 to the end of
   * the last step, so everything between steps (the yield to the event loop, the step report
   * and its preview leaving the process) is included.
   */
  denoiseMs: number
  /** Time inside the UNet's `session.run`, all steps. */
  unetMs: number
  /** (denoiseMs − unetMs) / T. */
  overheadMsPerStep: number
  /** denoiseMs / T. */
  stepMs: number
  /** Median over steps 1…T−1 of (end of step k − end of step k−1) − UNet time of step k. */
  medianStepOverheadMs: number
  /** Steps that ran without classifier-free guidance (UNet batch B instead of 2B). */
  batch1Steps: number
}

/** Summarises a run from its step reports. */
export function summarizeRun(run: RunRecord): RunSummary {
  const steps = [...run.steps].sort((a, b) => a.index - b.index)
  const first = steps[0]
  const last = steps[steps.length - 1]
  if (first === undefined || last === undefined) throw new Error('the run reported no steps')
  const denoiseMs = first.ms + (last.endedAt - first.endedAt)
  const unetMs = sum(steps.map((s) => s.unetMs))
  const perStepOverhead: number[] = []
  for (let k = 1; k < steps.length; k++) {
    const step = steps[k] as (typeof steps)[number]
    const previous = steps[k - 1] as (typeof steps)[number]
    perStepOverhead.push(step.endedAt - previous.endedAt - step.unetMs)
  }
  return {
    steps: steps.length,
    denoiseMs,
    unetMs,
    overheadMsPerStep: (denoiseMs - unetMs) / steps.length,
    stepMs: denoiseMs / steps.length,
    medianStepOverheadMs: perStepOverhead.length > 0 ? median(perStepOverhead) : Number.NaN,
    batch1Steps: steps.filter((s) => !s.cfg).length
  }
}
