import type { HistoryEntry } from '../contract'

/** Entries whose prompt contains the text (any case) or whose seed contains its digits. */
export function filterHistory(entries: HistoryEntry[], text: string): HistoryEntry[] {
  const needle = text.trim().toLowerCase()
  if (needle === '') return entries
  return entries.filter(
    (e) => e.params.prompt.toLowerCase().includes(needle) || String(e.result.seed).includes(needle)
  )
}
