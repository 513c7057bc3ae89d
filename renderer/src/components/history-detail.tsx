import { useEffect, useRef, useState } from 'react'
import type { JSX } from 'react'
import type { HistoryEntry } from '../contract'
import { useHistoryImage } from '../hooks/use-history-image'
import { samplerLabel } from '../lib/labels'
import { formatDuration, formatPercent } from '../lib/run-stats'
import { useFormStore } from '../store/form-store'
import { useHistoryStore } from '../store/history-store'
import { restoreInputPicture } from '../store/input-image-store'
import { KeptPreviews } from './kept-previews'
import { UseAsInputButton } from './use-as-input-button'

/** A stored result opened from history: image, parameters, restore, delete (confirmed). */
export function HistoryDetail({ entry }: { entry: HistoryEntry }): JSX.Element {
  const { url, error } = useHistoryImage(entry.id)
  const restore = useFormStore((s) => s.restore)
  const remove = useHistoryStore((s) => s.remove)
  const select = useHistoryStore((s) => s.select)
  const [confirming, setConfirming] = useState(false)
  const [restored, setRestored] = useState(false)
  const cancelRef = useRef<HTMLButtonElement>(null)
  const { result, params } = entry

  useEffect(() => {
    if (confirming) cancelRef.current?.focus()
  }, [confirming])

  const rows: [string, string][] = [
    ['Prompt', params.prompt || '(empty)'],
    ['Negative', params.negativePrompt || '(none)'],
    ['Model', result.modelName],
    ['Seed', String(result.seed)],
    [
      'Steps',
      result.interrupted
        ? `${result.stepsRun} of ${result.numTimesteps} (stopped)`
        : String(result.numInferenceSteps)
    ],
    ['Guidance', String(result.guidanceScale)],
    ['Size', `${result.width}×${result.height}`],
    ['Scheduler', samplerLabel(result)],
    [
      'CFG cutoff',
      result.cfgCutoffStep === null
        ? 'none'
        : `after step ${result.cfgCutoffStep + 1} (saved ${formatPercent(result.unetSavedFraction)} UNet)`
    ],
    ['Time', `${formatDuration(result.totalMs)} on ${result.provider}`],
    ['Created', new Date(entry.createdAt).toLocaleString()]
  ]

  return (
    <article className="history-detail" data-testid="history-detail" aria-label="Stored result">
      {url !== null ? (
        <img className="history-large" src={url} alt={`Stored result: ${params.prompt}`} />
      ) : (
        <p className="stage-empty">{error ?? 'Loading…'}</p>
      )}
      <div className="button-row">
        <button
          type="button"
          className="primary"
          data-testid="history-restore"
          onClick={() => {
            restore(entry)
            void restoreInputPicture(entry.params)
            setRestored(true)
          }}
        >
          Use these parameters
        </button>
        <UseAsInputButton historyId={entry.id} />
        {!confirming && (
          <button
            type="button"
            className="danger"
            data-testid="history-delete"
            onClick={() => setConfirming(true)}
          >
            Delete…
          </button>
        )}
        <button type="button" onClick={() => select(null)}>
          Close
        </button>
      </div>
      {restored && (
        <p role="status" className="muted">
          Parameters and seed {result.seed} are in the form.
        </p>
      )}
      {confirming && (
        <div className="confirm" role="alertdialog" aria-label="Confirm deletion">
          <p>Delete this result and its files? This cannot be undone.</p>
          <div className="button-row">
            <button
              type="button"
              className="danger"
              data-testid="history-delete-confirm"
              onClick={() => void remove(entry.id)}
            >
              Delete
            </button>
            <button type="button" ref={cancelRef} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <dl className="params-list">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {entry.previewSteps.length > 0 && <KeptPreviews id={entry.id} steps={entry.previewSteps} />}
    </article>
  )
}
