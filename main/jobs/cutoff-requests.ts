import type { CfgCutoffState } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { CutoffReport } from '../inference/protocol'

/** How long a cutoff change may wait for the inference process's answer (given between steps). */
export const CUTOFF_ANSWER_TIMEOUT_MS = 30_000

interface Pending {
  jobId: string
  /** Whether a report shows the requested change in force. */
  answers: (report: CutoffReport) => boolean
  resolve: (state: CfgCutoffState) => void
  reject: (error: StepwiseError) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * Pairs live guidance changes (`setCfgCutoff`, `setCfgInterval`, `setGuidanceScale`) with the
 * inference process's guidance reports. It answers each change with a report, but also reports
 * on its own (guidance started or ended), so a call is answered by the first report that either
 * refuses a change or shows the requested one in force.
 */
export class CutoffRequests {
  private readonly pending: Pending[] = []

  /** Registers a change; settles with the inference process's answer. */
  add(jobId: string, answers: (report: CutoffReport) => boolean): Promise<CfgCutoffState> {
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        jobId,
        answers,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(entry)
          reject(
            new StepwiseError(
              'unavailable',
              `the inference process did not answer the guidance change within ${CUTOFF_ANSWER_TIMEOUT_MS / 1000} s`
            )
          )
        }, CUTOFF_ANSWER_TIMEOUT_MS)
      }
      this.pending.push(entry)
    })
  }

  /** Offers a cutoff report to the oldest matching request of that job. */
  answer(jobId: string, report: CutoffReport): void {
    const entry = this.pending.find(
      (p) => p.jobId === jobId && (report.refused !== undefined || p.answers(report))
    )
    if (entry === undefined) return
    this.remove(entry)
    entry.resolve({ ...report })
  }

  /** Fails every request of a job that ended. */
  abandon(jobId: string, reason: string): void {
    for (const entry of this.pending.filter((p) => p.jobId === jobId)) {
      this.remove(entry)
      entry.reject(new StepwiseError('conflict', reason))
    }
  }

  private remove(entry: Pending): void {
    clearTimeout(entry.timer)
    const i = this.pending.indexOf(entry)
    if (i >= 0) this.pending.splice(i, 1)
  }
}
