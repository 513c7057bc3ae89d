import { memo } from 'react'
import type { JSX } from 'react'
import type { LiveStep } from '../store/job-store'
import { GalleryItem } from './gallery-item'

/** Props of {@link GalleryGroup}: one run of consecutive finished steps. */
export interface GalleryGroupProps {
  steps: readonly LiveStep[]
  total: number
  /** The inspected step if it is in this group, else null. */
  selected: number | null
  /** The step guidance ends after, if it is in this group, else null. */
  cutoffAfter: number | null
  /** The step in the tab order, if it is in this group, else null. */
  focusable: number | null
  /** Image runs: where step index 0 sits in the full schedule (0 for text-to-image). */
  startStep?: number
  /** Must be stable: the group and its tiles are memoised. */
  onSelect(index: number): void
  /** "Branch from here" on the steps before `branchBefore`; absent: not offered. Stable too. */
  onBranch?(index: number): void
  /** Steps from this index on offer no branch (the run's last step leaves nothing to continue). */
  branchBefore: number
}

/**
 * A fixed-size group of the strip's tiles, memoised as a whole: a long fast run appends a few
 * tiles every frame, and without groups React would compare every tile of the strip each time.
 * A full group's props no longer change, so it is skipped in one comparison. Renders its tiles
 * directly into the strip's list (a fragment, no element of its own).
 */
export const GalleryGroup = memo(function GalleryGroup({
  steps,
  total,
  selected,
  cutoffAfter,
  focusable,
  startStep = 0,
  onSelect,
  onBranch,
  branchBefore
}: GalleryGroupProps): JSX.Element {
  return (
    <>
      {steps.map((step) => (
        <GalleryItem
          key={step.index}
          step={step}
          total={total}
          selected={selected === step.index}
          cutoffAfter={cutoffAfter === step.index}
          focusable={focusable === step.index}
          startStep={startStep}
          onSelect={onSelect}
          onBranch={step.index < branchBefore ? onBranch : undefined}
        />
      ))}
    </>
  )
})
