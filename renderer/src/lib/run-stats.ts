/** Step timing figures for the progress display, from the engine's own per-step wall times. */

/** A finished step's duration as the engine measured it. */
export interface TimedStep {
  ms: number
}

/** Throughput over the most recent steps. */
export interface StepRate {
  /** Iterations (steps) per second; 0 when nothing ran yet. */
  itPerSec: number
  /** Mean milliseconds per step. */
  msPerStep: number
}

/**
 * Steps per second over the last `window` steps. A window, not the whole run, because the first
 * steps include session warm-up and the user may move the CFG cutoff, which halves the UNet batch.
 */
export function stepRate(steps: readonly TimedStep[], window = 8): StepRate {
  const recent = steps.slice(-window)
  if (recent.length === 0) return { itPerSec: 0, msPerStep: 0 }
  const msPerStep = recent.reduce((sum, s) => sum + s.ms, 0) / recent.length
  return { itPerSec: msPerStep > 0 ? 1000 / msPerStep : 0, msPerStep }
}

/** Milliseconds until the last step ends, or null when there is no rate yet. */
export function etaMs(doneSteps: number, totalSteps: number, msPerStep: number): number | null {
  if (doneSteps === 0 || msPerStep <= 0) return null
  return Math.max(0, totalSteps - doneSteps) * msPerStep
}

/** A duration for people: "850 ms", "4.2 s", "3 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`
}

/** A 0–1 fraction as a whole or one-decimal percentage. */
export function formatPercent(fraction: number): string {
  // Round first: 0.07 · 100 is 7.000000000000001 and should read "7 %".
  const tenths = Math.round(fraction * 1000) / 10
  return `${Number.isInteger(tenths) ? tenths : tenths.toFixed(1)} %`
}

/** Iterations per second with sensible precision for both slow and fast models. */
export function formatRate(itPerSec: number): string {
  if (itPerSec >= 100) return `${Math.round(itPerSec)} it/s`
  if (itPerSec >= 1) return `${itPerSec.toFixed(1)} it/s`
  if (itPerSec > 0) return `${(1 / itPerSec).toFixed(1)} s/it`
  return '– it/s'
}
