import { useCallback, useEffect, useRef, useState } from 'react'
import type { JSX } from 'react'
import type { HistoryEntry } from '../contract'
import { useHistoryImage } from '../hooks/use-history-image'
import { historyImageBlob } from '../lib/history-images'
import { resultFileName } from '../lib/image-files'
import { samplerLabel } from '../lib/labels'
import { paramsOfResult } from '../lib/resume-params'
import { formatDuration, formatPercent } from '../lib/run-stats'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { useHistoryStore } from '../store/history-store'
import { restoreInputPicture } from '../store/input-image-store'
import { branchFrom, continueRun } from '../store/run-actions'
import { ImageActions } from './image-actions'
import { KeptPreviews } from './kept-previews'
import { UseAsInputButton } from './use-as-input-button'

/**
 * A stored result opened from history, in the main view: image, parameters, view full size,
 * save, copy, show in folder, restore, delete (confirmed).
 */
export function HistoryDetail({ entry }: { entry: HistoryEntry }): JSX.Element {
  const { url, error } = useHistoryImage(entry.id)
  const api = useAppStore((s) => s.api)
  const restore = useFormStore((s) => s.restore)
  const remove = useHistoryStore((s) => s.remove)
  const select = useHistoryStore((s) => s.select)
  const [confirming, setConfirming] = useState(false)
  const [restored, setRestored] = useState(false)
  const cancelRef = useRef<HTMLButtonElement>(null)
  const { result, params } = entry
  const kept = entry.snapshotSteps ?? []
  const resumable = result.interrupted && kept.includes(result.stepsRun - 1)
  const branchable = kept.filter((step) => step < result.numTimesteps - 1)
  const onBranch = useCallback(
    (step: number): void =>
      branchFrom(params, result, {
        historyId: entry.id,
        step,
        label: `${params.prompt.trim() === '' ? '(empty prompt)' : params.prompt} · seed ${result.seed}`
      }),
    [params, result, entry.id]
  )

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
    ['Guidance scale', String(result.guidanceScale)],
    ['Size', `${result.width}×${result.height}`],
    ['Scheduler', samplerLabel(result)],
    ['Guidance', guidanceText(result)],
    ...(result.resumedFrom != null
      ? [
          [
            'Continues',
            `step ${result.resumedFrom.step + 1} of “${result.resumedFrom.parentPrompt}” (seed ${result.resumedFrom.parentSeed})`
          ] as [string, string]
        ]
      : []),
    ['Time', `${formatDuration(result.totalMs)} on ${result.provider}`],
    ...(result.batchSize !== undefined && result.batchIndex !== undefined
      ? [['Batch', `image ${result.batchIndex + 1} of ${result.batchSize}`] as [string, string]]
      : []),
    ['Created', new Date(entry.createdAt).toLocaleString()]
  ]

  const alt = `Stored result: ${params.prompt}`
  return (
    <article className="history-detail" data-testid="history-detail" aria-label="Stored result">
      <div className="history-detail-image">
        {url !== null ? (
          <img className="history-large" src={url} alt={alt} />
        ) : (
          <p className="stage-empty">{error ?? 'Loading…'}</p>
        )}
      </div>
      <div className="history-detail-side">
        {api !== null && (
          <ImageActions
            prefix="history"
            alt={alt}
            historyId={entry.id}
            fileName={resultFileName(result.seed, result.batchIndex)}
            png={() => historyImageBlob(api, entry.id)}
          />
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
          {resumable && (
            <button
              type="button"
              className="primary"
              data-testid="continue-button"
              title="Run the remaining steps from where it stopped, even after a restart"
              onClick={() =>
                void continueRun(paramsOfResult(params, result), result, { historyId: entry.id })
              }
            >
              Continue
            </button>
          )}
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
          <button type="button" data-testid="history-close" onClick={() => select(null)}>
            Back to live view
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
        {entry.previewSteps.length > 0 && (
          <KeptPreviews
            id={entry.id}
            steps={entry.previewSteps}
            branchable={branchable}
            onBranch={onBranch}
          />
        )}
      </div>
    </article>
  )
}

/** Where guidance ran in a stored run, and the UNet time it saved. */
function guidanceText(result: HistoryEntry['result']): string {
  const start = result.guidanceStartStep ?? 0
  const end = result.cfgCutoffStep
  if (start <= 0 && end === null) return 'every step'
  const where =
    start <= 0
      ? `until step ${(end as number) + 1}`
      : `steps ${start + 1}–${end === null ? result.numTimesteps : end + 1}`
  return `${where} (saved ${formatPercent(result.unetSavedFraction)} UNet)`
}
