/**
 * Names of the `performance.mark`s the renderer records when it paints a step's preview on the
 * live canvas, read back by the benchmark (bench/README.md, "Preview latency"). Each mark is
 * named `stepwise:paint:<jobId>:<stepIndex>`, its `startTime` is the paint, and its `detail` is
 * a {@link PaintMarkDetail} carrying when the step ended in the inference process.
 */

/** Prefix of every paint mark's name. */
export const PAINT_MARK_PREFIX = 'stepwise:paint:'

/** The `detail` of a paint mark. */
export interface PaintMarkDetail {
  /** The step's `endedAt` (epoch ms, the inference process's clock). */
  endedAt: number
}

/** The mark name for step `index` of job `jobId`. */
export function paintMarkName(jobId: string, index: number): string {
  return `${PAINT_MARK_PREFIX}${jobId}:${index}`
}

/** The job id and step index of a paint mark's name, or null for any other name. */
export function parsePaintMarkName(name: string): { jobId: string; index: number } | null {
  if (!name.startsWith(PAINT_MARK_PREFIX)) return null
  const rest = name.slice(PAINT_MARK_PREFIX.length)
  const colon = rest.lastIndexOf(':')
  if (colon <= 0) return null
  const index = Number(rest.slice(colon + 1))
  if (!Number.isInteger(index) || index < 0) return null
  return { jobId: rest.slice(0, colon), index }
}
