import { memo, useRef } from 'react'
import type { JSX, ReactNode } from 'react'
import type { HistoryEntry } from '../contract'
import { useHistoryImage } from '../hooks/use-history-image'
import { useInView } from '../hooks/use-in-view'
import { samplerLabel } from '../lib/labels'
import { UseAsInputButton } from './use-as-input-button'

/** Props of {@link HistoryItem}. */
export interface HistoryItemProps {
  entry: HistoryEntry
  selected: boolean
  /** Must be stable (the same function across renders): the item is memoised. */
  onOpen(id: string): void
  /** The entry's branches (continued runs), shown under it. */
  children?: ReactNode
}

/** One stored result in the history grid: thumbnail, prompt and the key settings. */
export const HistoryItem = memo(function HistoryItem({
  entry,
  selected,
  onOpen,
  children
}: HistoryItemProps): JSX.Element {
  const ref = useRef<HTMLLIElement>(null)
  const { url } = useHistoryImage(entry.id, undefined, useInView(ref))
  const { result } = entry
  const prompt = entry.params.prompt.trim() === '' ? '(empty prompt)' : entry.params.prompt
  const from = result.resumedFrom
  return (
    <li
      ref={ref}
      className={`history-item${from == null ? '' : ' history-branch'}`}
      data-testid="history-item"
      data-history-id={entry.id}
      data-parent-id={from?.parentHistoryId ?? undefined}
    >
      <button type="button" aria-pressed={selected} onClick={() => onOpen(entry.id)} title={prompt}>
        {url === null ? (
          <span className="history-thumb thumb-missing" aria-hidden="true" />
        ) : (
          <img className="history-thumb" src={url} alt="" />
        )}
        <span className="history-text">
          <span className="history-prompt">{prompt}</span>
          <span className="muted">
            {result.interrupted
              ? `stopped ${result.stepsRun}/${result.numTimesteps}`
              : `${result.numInferenceSteps} steps`}{' '}
            · seed {result.seed}
            {from != null && ` · from step ${from.step + 1}`}
          </span>
          <span className="muted" data-testid="history-item-settings">
            {samplerLabel(result)} · CFG {result.guidanceScale}
          </span>
        </span>
      </button>
      <UseAsInputButton historyId={entry.id} />
      {children}
    </li>
  )
})
