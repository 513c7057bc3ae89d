import { guidanceWindow, lastGuidedStep } from '../../shared/guidance-window'
import type { CfgCutoffState } from '../../shared/contract'
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

/** The job parameters a live guidance change can set. */
export type GuidanceParam = 'cfgCutoff' | 'cfgInterval' | 'guidanceScale'

/** How one guidance parameter changes live. */
interface GuidanceParamRow<K extends GuidanceParam> {
  /**
   * What a refusal calls the setting once guidance has ended; null for one that is never locked
   * (the guidance scale, which moves no step bound).
   */
  lockedName: string | null
  /** Sends the new value to the inference process. */
  send(inference: InferenceRunner, jobId: string, value: Job['params'][K]): void
  /** The field of the inference process's report that echoes the value in force. */
  reportKey: keyof CfgCutoffState
}

const GUIDANCE_PARAMS: { [K in GuidanceParam]: GuidanceParamRow<K> } = {
  cfgCutoff: {
    lockedName: 'the cutoff',
    send: (inference, jobId, cutoff) => inference.setCfgCutoff(jobId, cutoff),
    reportKey: 'cutoff'
  },
  cfgInterval: {
    lockedName: 'the interval',
    send: (inference, jobId, interval) => inference.setCfgInterval(jobId, interval),
    reportKey: 'cfgInterval'
  },
  guidanceScale: {
    lockedName: null,
    send: (inference, jobId, scale) => inference.setGuidanceScale(jobId, scale),
    reportKey: 'guidanceScale'
  }
}

/**
 * Setting a guidance parameter (the CFG cutoff, the guidance interval, or the guidance scale from
 * the next step) of a waiting or running job. The cutoff and the interval are locked once
 * guidance has ended.
 */
export function guidanceChange<K extends GuidanceParam>(
  inference: InferenceRunner,
  param: K,
  value: Job['params'][K]
): GuidanceChange {
  const row: GuidanceParamRow<K> = GUIDANCE_PARAMS[param]
  return {
    check: (job) => ({ ...job.params, [param]: value }),
    apply: (job) => {
      job.params[param] = value
    },
    lockedBy: (state) =>
      row.lockedName !== null && state.locked
        ? `guidance already ended after step ${state.cutoffStep}; ${row.lockedName} can no longer change`
        : null,
    send: (job) => row.send(inference, job.id, value),
    answers: (report) => sameJson(report[row.reportKey], value)
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
