import { paintMarkName } from '../../../shared/paint-marks'
import type { PaintMarkDetail } from '../../../shared/paint-marks'

/**
 * Records a `performance.mark` per preview painted on the live canvas, with the step's end time
 * in its detail, so the benchmark can measure step-end → pixels latency from the page's
 * performance timeline (names and detail: shared/paint-marks.ts). Marks stay in the timeline
 * until cleared, so only the current job's are kept: the first paint of a new job clears the
 * previous job's marks, bounding them by one run's steps.
 */
let markedJob: string | null = null
const names: string[] = []

/** Marks that step `index` of `jobId`, which ended at `endedAt`, was just painted. */
export function markPaint(jobId: string, index: number, endedAt: number): void {
  if (jobId !== markedJob) {
    for (const name of names) performance.clearMarks(name)
    names.length = 0
    markedJob = jobId
  }
  const name = paintMarkName(jobId, index)
  const detail: PaintMarkDetail = { endedAt }
  performance.mark(name, { detail })
  names.push(name)
}
