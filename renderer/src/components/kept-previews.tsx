import { memo, useCallback, useState } from 'react'
import type { JSX } from 'react'
import { useHistoryImage } from '../hooks/use-history-image'

/**
 * A kept step preview of a stored result; `onSelect` and `onBranch` must be stable (the tile is
 * memoised).
 */
const KeptPreview = memo(function KeptPreview({
  id,
  step,
  selected,
  onSelect,
  onBranch
}: {
  id: string
  step: number
  selected: boolean
  onSelect(step: number): void
  onBranch?(step: number): void
}): JSX.Element {
  const { url } = useHistoryImage(id, step)
  return (
    <li>
      <button
        type="button"
        aria-pressed={selected}
        aria-label={`Step ${step + 1}`}
        data-testid="kept-preview"
        onClick={() => onSelect(step)}
      >
        {url === null ? (
          <span className="thumb thumb-missing" aria-hidden="true" />
        ) : (
          <img className="thumb pixelated" src={url} alt="" />
        )}
        <span className="gallery-step" aria-hidden="true">
          {step + 1}
        </span>
      </button>
      {onBranch !== undefined && (
        <button
          type="button"
          className="branch-button"
          data-testid="branch-button"
          aria-label={`Branch from step ${step + 1}`}
          onClick={() => onBranch(step)}
        >
          Branch
        </button>
      )}
    </li>
  )
})

/** The step previews kept beside a result; one can be opened large, or branched from. */
export function KeptPreviews({
  id,
  steps,
  branchable = [],
  onBranch
}: {
  id: string
  steps: number[]
  /** Steps whose run state was kept too: they offer "Branch from here". */
  branchable?: number[]
  /** Must be stable, as the tiles are memoised. */
  onBranch?(step: number): void
}): JSX.Element {
  const [open, setOpen] = useState<number | null>(null)
  const toggle = useCallback((step: number) => setOpen((o) => (o === step ? null : step)), [])
  const { url } = useHistoryImage(id, open ?? steps[0] ?? 0)
  return (
    <div className="kept-previews">
      <h4 className="section-title">Kept step previews</h4>
      {open !== null && url !== null && (
        <img
          className="kept-large pixelated"
          src={url}
          alt={`Preview of step ${open + 1}`}
          data-testid="kept-preview-large"
        />
      )}
      <ol className="gallery compact">
        {steps.map((step) => (
          <KeptPreview
            key={step}
            id={id}
            step={step}
            selected={open === step}
            onSelect={toggle}
            onBranch={branchable.includes(step) ? onBranch : undefined}
          />
        ))}
      </ol>
    </div>
  )
}
