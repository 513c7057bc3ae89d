import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../contract'
import { filterHistory } from './history-filter'

function entry(id: string, prompt: string, seed: number): HistoryEntry {
  return {
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    params: { prompt } as HistoryEntry['params'],
    result: { seed } as HistoryEntry['result'],
    previewSteps: []
  }
}

describe('filterHistory', () => {
  const entries = [entry('a', 'A Red Circle', 42), entry('b', 'a blue square', 1234)]

  it('matches prompts in any case and seeds by digits', () => {
    expect(filterHistory(entries, 'red').map((e) => e.id)).toEqual(['a'])
    expect(filterHistory(entries, ' SQUARE ').map((e) => e.id)).toEqual(['b'])
    expect(filterHistory(entries, '123').map((e) => e.id)).toEqual(['b'])
  })

  it('shows everything for an empty filter', () => {
    expect(filterHistory(entries, '  ')).toBe(entries)
  })
})
