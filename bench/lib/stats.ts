/**
 * Order statistics for benchmark samples. Medians and percentiles rather than means: on a shared
 * machine a few steps are always descheduled, and one 200 ms stall must not move a per-step figure.
 */

/** The p-th percentile (0–100) by linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (rank - lo)
}

/** The median (NaN for no values). */
export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** The sum. */
export function sum(values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}

/** Rounds to `digits` decimals for reports (the JSON keeps enough digits to be useful, not noise). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
