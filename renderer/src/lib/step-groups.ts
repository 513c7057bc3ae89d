/**
 * Splits a growing list into groups of `size`, reusing the arrays of groups already full: a list
 * that only grows at its end (a run's finished steps) keeps the same group objects, so memoised
 * consumers of a full group see no change. `previous` is the last call's result; a list whose
 * first items differ from it (a new run) is split afresh.
 */
export function groupsOf<T>(items: readonly T[], size: number, previous: readonly T[][]): T[][] {
  const groups: T[][] = []
  for (let start = 0, g = 0; start < items.length; start += size, g++) {
    const kept = previous[g]
    const end = Math.min(items.length, start + size)
    if (
      kept !== undefined &&
      kept.length === end - start &&
      kept[0] === items[start] &&
      kept[kept.length - 1] === items[end - 1]
    ) {
      groups.push(kept)
    } else {
      groups.push(items.slice(start, end))
    }
  }
  return groups
}

/**
 * {@link groupsOf} with its own memory of the previous result: each call reuses the full groups
 * of the call before. For a component that splits one growing list on every render.
 */
export function createGrouper<T>(size: number): (items: readonly T[]) => T[][] {
  let previous: T[][] = []
  return (items) => {
    previous = groupsOf(items, size, previous)
    return previous
  }
}
