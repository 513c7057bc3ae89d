import { memo } from 'react'
import type { JSX } from 'react'

/** Props of {@link PendingSteps}. */
export interface PendingStepsProps {
  /** Index of the first step still to come (= steps finished so far). */
  first: number
  /** Steps still to come (at least 1). */
  count: number
  /** First guided step index (0 without a guidance interval). */
  startStep?: number
  /** Last guided step index, or null for guidance on every step. */
  cutoffStep: number | null
}

// Lengths of the strip's slots, from gallery.css (--slot: a tile's width; --slot-gap: the gap).
const PITCH = 'var(--slot) + var(--slot-gap)'
const GAP = 'var(--slot-gap)'
// Guidance's end widens its gap (as .cutoff-after does for a tile): 0.6rem more.
const MARKER_SPACE = '0.6rem'

/** `n` slots and their gaps, less the trailing gap, plus `extra`. */
function slotsLength(n: number, extra = '0px'): string {
  return `calc(${n} * (${PITCH}) - ${GAP} + ${extra})`
}

/**
 * The steps a run has still to make, as one element sized to their number, whatever it is
 * (a tile per step would be up to 500 elements to reconcile on every frame): an outline per step,
 * hatched where guidance will be off, with the marker where guidance ends when that is still
 * ahead. A pure function of three numbers, so it re-renders only when one of them changes.
 */
export const PendingSteps = memo(function PendingSteps({
  first,
  count,
  startStep = 0,
  cutoffStep
}: PendingStepsProps): JSX.Element {
  // Before a guidance interval starts the steps are unguided too: hatched ahead of the guided.
  const before = Math.max(0, Math.min(count, startStep - first))
  const end = cutoffStep === null ? first + count : cutoffStep + 1
  const guided = Math.max(0, Math.min(count - before, end - Math.max(first, startStep)))
  // Guidance ends after a step still to come: its marker sits between that step and the next.
  const marker = cutoffStep !== null && cutoffStep >= first && cutoffStep < first + count
  const unguided = count - guided - before
  return (
    <li
      className="gallery-pending"
      data-testid="gallery-pending"
      data-steps={count}
      data-guided-steps={guided}
      data-unguided-before={before}
      aria-hidden="true"
      style={{ width: slotsLength(count, marker ? MARKER_SPACE : '0px') }}
    >
      {before > 0 && (
        <span
          className="gallery-pending-slots cfg-off"
          style={{ left: 0, width: slotsLength(before) }}
        />
      )}
      {guided > 0 && (
        <span
          className="gallery-pending-slots"
          style={{ left: `calc(${before} * (${PITCH}))`, width: slotsLength(guided) }}
        />
      )}
      {marker && (
        <span
          className="gallery-pending-marker"
          data-testid="gallery-pending-marker"
          style={{ left: `calc(${before + guided} * (${PITCH}) - ${GAP} + 0.5rem - 3px)` }}
        />
      )}
      {unguided > 0 && (
        <span
          className="gallery-pending-slots cfg-off"
          style={{
            left: `calc(${before + guided} * (${PITCH})${marker ? ` + ${MARKER_SPACE}` : ''})`,
            width: slotsLength(unguided)
          }}
        />
      )}
    </li>
  )
})
