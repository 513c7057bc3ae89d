import type { HistoryEntry } from '../contract'

/** A stored run and the runs continued or branched from it, each with its own. */
export interface BranchNode {
  entry: HistoryEntry
  branches: BranchNode[]
}

/**
 * Stored runs with each continued or branched run under the run it came from (when that run
 * is still in the list), in the list's order at every level; the others stay at the top.
 */
export function branchTree(entries: readonly HistoryEntry[]): BranchNode[] {
  const ids = new Set(entries.map((e) => e.id))
  const children = new Map<string, HistoryEntry[]>()
  const roots: HistoryEntry[] = []
  for (const entry of entries) {
    const parent = entry.result.resumedFrom?.parentHistoryId ?? null
    if (parent !== null && parent !== entry.id && ids.has(parent)) {
      children.set(parent, [...(children.get(parent) ?? []), entry])
    } else {
      roots.push(entry)
    }
  }
  const seen = new Set<string>()
  const node = (entry: HistoryEntry): BranchNode => {
    seen.add(entry.id)
    return {
      entry,
      branches: (children.get(entry.id) ?? []).filter((c) => !seen.has(c.id)).map(node)
    }
  }
  return roots.map(node)
}
