import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../contract'
import { branchTree } from './history-tree'

function entry(id: string, parent: string | null = null): HistoryEntry {
  return {
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    params: { prompt: id } as HistoryEntry['params'],
    result: {
      seed: 1,
      resumedFrom:
        parent === null
          ? null
          : { step: 3, parentSeed: 1, parentPrompt: parent, parentHistoryId: parent }
    } as HistoryEntry['result'],
    previewSteps: []
  }
}

describe('branchTree', () => {
  it('puts each continued or branched run under its parent, in list order, others at the top', () => {
    const tree = branchTree([
      entry('c', 'a'),
      entry('b'),
      entry('d', 'c'),
      entry('a'),
      entry('orphan', 'deleted')
    ])
    const show = (nodes: ReturnType<typeof branchTree>): unknown =>
      nodes.map((n) => (n.branches.length === 0 ? n.entry.id : [n.entry.id, show(n.branches)]))
    expect(show(tree)).toEqual(['b', ['a', [['c', ['d']]]], 'orphan'])
  })
})
