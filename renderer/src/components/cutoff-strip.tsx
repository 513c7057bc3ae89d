import type { JSX } from 'react'

/** Props of {@link CutoffStrip}. */
export interface CutoffStripProps {
  total: number
  /** Last guided step index, or null for guidance on every step. */
  cutoffStep: number | null
  /** Steps finished so far in the live run. */
  done: number
}

/**
 * The run's steps as one bar: guided steps filled, unguided steps hatched, a marker where guidance
 * ends and a shade over the steps already run. It shows the effect of the slider before any step
 * exists.
 */
export function CutoffStrip({ total, cutoffStep, done }: CutoffStripProps): JSX.Element {
  const guided = total === 0 ? 100 : ((cutoffStep === null ? total : cutoffStep + 1) / total) * 100
  const progress = total === 0 ? 0 : Math.min(100, (done / total) * 100)
  return (
    <div className="cutoff-strip" data-testid="cutoff-strip" aria-hidden="true">
      <div className="cutoff-strip-guided" style={{ width: `${guided}%` }} />
      <div className="cutoff-strip-unguided" style={{ width: `${100 - guided}%` }} />
      <div className="cutoff-strip-progress" style={{ width: `${progress}%` }} />
      {cutoffStep !== null && (
        <div
          className="cutoff-strip-marker"
          data-testid="cutoff-marker"
          style={{ left: `${guided}%` }}
        />
      )}
    </div>
  )
}
