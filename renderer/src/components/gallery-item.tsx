import { memo } from 'react'
import type { JSX } from 'react'
import { usePreviewFrame } from '../hooks/use-preview-frame'
import { describeStepPreview } from '../lib/preview-methods'
import { formatDuration } from '../lib/run-stats'
import type { LiveStep } from '../store/job-store'
import { RgbaCanvas } from './rgba-canvas'

/**
 * Tiles show previews at most this many pixels a side: full-size previews (tiny, VAE) are 512×512
 * on real models, and a strip of such canvases costs the page a megabyte of pixels per tile.
 */
const THUMB_MAX_PX = 128

/** Props of {@link GalleryItem}. */
export interface GalleryItemProps {
  step: LiveStep
  total: number
  selected: boolean
  /** Guidance ends after this step: the strip draws its marker here. */
  cutoffAfter: boolean
  focusable: boolean
  /** Image runs: where step index 0 sits in the full schedule (0 for text-to-image). */
  startStep?: number
  /** Must be stable (the same function across renders), or every tile re-renders each step. */
  onSelect(index: number): void
  /**
   * "Branch from here": continue this run from this step with other settings; absent: not
   * offered. Must be stable, as `onSelect`.
   */
  onBranch?(index: number): void
}

/**
 * One finished step: its preview, time, whether CFG ran and the UNet batch it took, and "Branch
 * from here". Memoised, because a run appends items
 * and the items already there never change; its preview is read through `useSyncExternalStore`,
 * so it appears even if it arrives after the step's record.
 */
export const GalleryItem = memo(function GalleryItem({
  step,
  total,
  selected,
  cutoffAfter,
  focusable,
  startStep = 0,
  onSelect,
  onBranch
}: GalleryItemProps): JSX.Element {
  const frame = usePreviewFrame(step.index)
  const cfg = step.cfg ? 'on' : 'off'
  const scale = step.cfg ? ` at ${step.guidanceScale}` : ''
  const schedule = startStep > 0 ? ` (schedule step ${startStep + step.index + 1})` : ''
  return (
    <li
      className={`gallery-item cfg-${cfg}${cutoffAfter ? ' cutoff-after' : ''}`}
      data-testid="gallery-item"
      data-step={step.index}
      data-cfg={cfg}
      data-schedule-step={startStep + step.index}
      data-unet-batch={step.unetBatch}
      data-guidance-scale={step.guidanceScale}
      data-preview-method={step.previewMethod ?? 'none'}
    >
      <button
        type="button"
        aria-pressed={selected}
        tabIndex={focusable ? 0 : -1}
        aria-label={`Step ${step.index + 1} of ${total}${schedule}, ${formatDuration(step.ms)}, CFG ${cfg}${scale}`}
        title={`Step ${step.index + 1} of ${total}${schedule} · timestep ${Math.round(step.timestep)} · ${formatDuration(step.ms)} · CFG ${cfg}${scale} (UNet batch ${step.unetBatch}) · preview ${describeStepPreview(step.previewMethod, step.previewMs)}`}
        onClick={() => onSelect(step.index)}
      >
        {frame === undefined ? (
          <span className="thumb thumb-missing" aria-hidden="true" />
        ) : (
          <RgbaCanvas image={frame} className="thumb" maxSize={THUMB_MAX_PX} />
        )}
        <span className="gallery-caption" aria-hidden="true">
          <span className="gallery-step">{step.index + 1}</span>
          <span className="gallery-ms">{formatDuration(step.ms)}</span>
          <span className={`cfg-badge cfg-badge-${cfg}`}>
            {step.cfg ? 'CFG' : 'no CFG'} ×{step.unetBatch}
          </span>
        </span>
      </button>
      {onBranch !== undefined && (
        <button
          type="button"
          className="branch-button"
          data-testid="branch-button"
          tabIndex={focusable ? 0 : -1}
          aria-label={`Branch from step ${step.index + 1}`}
          title="Branch from here: continue this run from this step with another prompt or guidance"
          onClick={() => onBranch(step.index)}
        >
          Branch
        </button>
      )}
    </li>
  )
})
