import { useState } from 'react'
import type { JSX } from 'react'
import { filterHistory } from '../lib/history-filter'
import { branchTree, type BranchNode } from '../lib/history-tree'
import { useHistoryStore } from '../store/history-store'
import { HistoryDetail } from './history-detail'
import { HistoryItem } from './history-item'

/** Every stored result, newest first; one can be opened, restored or deleted. */
export function HistoryPanel(): JSX.Element {
  const entries = useHistoryStore((s) => s.entries)
  const loaded = useHistoryStore((s) => s.loaded)
  const notice = useHistoryStore((s) => s.notice)
  const error = useHistoryStore((s) => s.error)
  const selectedId = useHistoryStore((s) => s.selectedId)
  // A store action: one function for the store's life, so the memoised tiles stay put.
  const toggleSelected = useHistoryStore((s) => s.toggleSelected)
  const [filter, setFilter] = useState('')
  const selected = entries.find((e) => e.id === selectedId)
  const shown = filterHistory(entries, filter)
  // Runs continued or branched from a run sit under it (a filtered list stays flat).
  const renderNode = ({ entry, branches }: BranchNode): JSX.Element => (
    <HistoryItem
      key={entry.id}
      entry={entry}
      selected={entry.id === selectedId}
      onOpen={toggleSelected}
    >
      {branches.length > 0 && (
        <ul className="history-branches" aria-label="Branches and continuations of this run">
          {branches.map((b) => renderNode(b))}
        </ul>
      )}
    </HistoryItem>
  )
  return (
    <section className="history" aria-labelledby="history-heading" data-testid="history">
      <h2 id="history-heading" className="section-title">
        History <span className="muted">{loaded ? entries.length : '…'}</span>
      </h2>
      {notice !== null && (
        <p className="notice" role="status" data-testid="history-notice">
          {notice}
        </p>
      )}
      {error !== null && <p className="field-error">History unavailable: {error}</p>}
      {selected !== undefined && <HistoryDetail key={selected.id} entry={selected} />}
      {loaded && entries.length === 0 && (
        <p className="muted">Results appear here, with their parameters, as runs finish.</p>
      )}
      {entries.length > 1 && (
        <input
          type="search"
          className="history-filter"
          data-testid="history-filter"
          aria-label="Filter history by prompt or seed"
          placeholder="Filter by prompt or seed"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      <ul className="history-grid" aria-label="Stored results">
        {(filter.trim() === ''
          ? branchTree(shown)
          : shown.map((entry): BranchNode => ({ entry, branches: [] }))
        ).map((node) => renderNode(node))}
      </ul>
    </section>
  )
}
