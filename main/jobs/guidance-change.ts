import { guidanceWindow, lastGuidedStep } from '../../shared/guidance-window'
import type { CfgCutoffState } from '../../shared/contract'
import type { CfgCutoff, CfgInterval } from '../../shared/params'
import type { CutoffReport } from '../inference/protocol'
import type { InferenceRunner } from './inference-runner'
import type { Job } from './job'
import type { checkStepIndices } from './run-plan'

/** A live guidance change, as the job queue applies it to a waiting or running job. */
export interface GuidanceChange {
  /** The job's settings with the change, to check its step indices against the plan. */
  check(job: Job): Parameters<typeof checkStepIndices>[0]
  /** Makes the change a waiting job's parameter. */
  apply(job: Job): void
  /** Why the running job can no longer take the change, or null. */
  lockedBy(state: CfgCutoffState): string | null
  /** Sends the change to the inference process. */
  send(job: Job): void
  /** Whether an inference report answers this change. */
  answers(report: CutoffReport): boolean
}

/** Moving the CFG cutoff: locked once guidance has ended. */
export function cfgCutoffChange(
  inference: InferenceRunner,
  cutoff: CfgCutoff | null
): GuidanceChange {
  return {
    check: (job) => ({ ...job.params, cfgCutoff: cutoff }),
    apply: (job) => (job.params.cfgCutoff = cutoff),
    lockedBy: (state) =>
      state.locked
        ? `guidance already ended after step ${state.cutoffStep}; the cutoff can no longer change`
        : null,
    send: (job) => inference.setCfgCutoff(job.id, cutoff),
    answers: (report) => sameJson(report.cutoff, cutoff)
  }
}

/** Moving the guidance interval: locked once guidance has ended. */
export function cfgIntervalChange(
  inference: InferenceRunner,
  interval: CfgInterval | null
): GuidanceChange {
  return {
    check: (job) => ({ ...job.params, cfgInterval: interval }),
    apply: (job) => (job.params.cfgInterval = interval),
    lockedBy: (state) =>
      state.locked
        ? `guidance already ended after step ${state.cutoffStep}; the interval can no longer change`
        : null,
    send: (job) => inference.setCfgInterval(job.id, interval),
    answers: (report) => sameJson(report.cfgInterval, interval)
  }
}

/** Setting the guidance scale from the next step: never locked, as it moves no step bound. */
export function guidanceScaleChange(
  inference: InferenceRunner,
  guidanceScale: number
): GuidanceChange {
  return {
    check: (job) => job.params,
    apply: (job) => (job.params.guidanceScale = guidanceScale),
    lockedBy: () => null,
    send: (job) => inference.setGuidanceScale(job.id, guidanceScale),
    answers: (report) => report.guidanceScale === guidanceScale
  }
}

/**
 * Makes the change a waiting job's parameter and recomputes its guidance window, as the run
 * will plan it when it starts; returns the job's new cutoff state.
 */
export function applyToWaitingJob(job: Job, change: GuidanceChange): CfgCutoffState {
  const { numTimesteps } = job.plan
  change.apply(job)
  const window = guidanceWindow(numTimesteps, job.params.cfgCutoff, job.params.cfgInterval)
  job.cutoff = {
    ...job.cutoff,
    cutoff: job.params.cfgCutoff,
    cfgInterval: job.params.cfgInterval,
    cutoffStep: lastGuidedStep(numTimesteps, job.params.cfgCutoff, job.params.cfgInterval),
    guidanceStartStep: window.start
  }
  return { ...job.cutoff }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
