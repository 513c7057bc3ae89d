import { afterEach, describe, expect, it } from 'vitest'
import { PAINT_MARK_PREFIX, parsePaintMarkName } from '../../../shared/paint-marks'
import { markPaint } from './paint-marks'

const paintMarks = (): PerformanceMark[] =>
  performance
    .getEntriesByType('mark')
    .filter((m): m is PerformanceMark => m.name.startsWith(PAINT_MARK_PREFIX))

afterEach(() => {
  for (const mark of paintMarks()) performance.clearMarks(mark.name)
})

describe('markPaint', () => {
  it('records one mark per painted step with the step end in its detail', () => {
    markPaint('job-1', 0, 1_700_000_000_000.25)
    markPaint('job-1', 3, 1_700_000_000_010.5)
    const marks = paintMarks()
    expect(marks.map((m) => parsePaintMarkName(m.name))).toEqual([
      { jobId: 'job-1', index: 0 },
      { jobId: 'job-1', index: 3 }
    ])
    expect(marks.map((m) => (m.detail as { endedAt: number }).endedAt)).toEqual([
      1_700_000_000_000.25, 1_700_000_000_010.5
    ])
  })

  it("keeps only the current job's marks", () => {
    markPaint('job-1', 0, 1)
    markPaint('job-1', 1, 2)
    markPaint('job-2', 0, 3)
    expect(paintMarks().map((m) => m.name)).toEqual([`${PAINT_MARK_PREFIX}job-2:0`])
  })
})
