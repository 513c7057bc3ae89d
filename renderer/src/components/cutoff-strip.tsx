import type { JSX } from 'react'

/** Props of {@link CutoffStrip}. */
export interface CutoffStripProps {
  total: number
  /** First guided step index (0: guidance from the first step). */
  start?: number
  /** Last guided step index, or null for guidance to the last step. */
  cutoffStep: number | null
  /** Steps finished so far in the live run. */
  done: number
}

/**
 * The run's steps as one bar: guided steps filled, unguided steps hatched (before a guidance
 * interval starts and after guidance ends), markers where guidance starts and ends, and a shade
 * over the steps already run. It shows the effect of the controls before any step exists.
 */
export function CutoffStrip({ total, start = 0, cutoffStep, done }: CutoffStripProps): JSX.Element {
  const share = (steps: number): number => (total === 0 ? 0 : (steps / total) * 100)
  const end = cutoffStep === null ? total : cutoffStep + 1
  const before = total === 0 ? 0 : share(Math.min(start, total))
  const guided = total === 0 ? 100 : Math.max(0, share(end) - before)
  const progress = total === 0 ? 0 : Math.min(100, share(done))
  return (
    <div className="cutoff-strip" data-testid="cutoff-strip" aria-hidden="true">
      {before > 0 && <div className="cutoff-strip-unguided" style={{ width: `${before}%` }} />}
      <div className="cutoff-strip-guided" style={{ width: `${guided}%` }} />
      <div className="cutoff-strip-unguided" style={{ width: `${100 - before - guided}%` }} />
      <div className="cutoff-strip-progress" style={{ width: `${progress}%` }} />
      {start > 0 && (
        <div
          className="cutoff-strip-marker start"
          data-testid="interval-start-marker"
          style={{ left: `${before}%` }}
        />
      )}
      {cutoffStep !== null && (
        <div
          className="cutoff-strip-marker"
          data-testid="cutoff-marker"
          style={{ left: `${before + guided}%` }}
        />
      )}
    </div>
  )
}
