import { describe, expect, it } from 'vitest'
import { createGrouper, groupsOf } from './step-groups'

describe('groupsOf', () => {
  it('keeps full groups as the same arrays while the list grows, and splits a new list afresh', () => {
    const a = [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]
    const first = groupsOf(a.slice(0, 3), 2, [])
    expect(first.map((g) => g.map((x) => x.i))).toEqual([[0, 1], [2]])
    const second = groupsOf(a, 2, first)
    expect(second.map((g) => g.map((x) => x.i))).toEqual([[0, 1], [2, 3], [4]])
    expect(second[0]).toBe(first[0])
    expect(second[1]).not.toBe(first[1])
    const third = groupsOf(a, 2, second)
    expect(third.every((g, i) => g === second[i])).toBe(true)

    const other = [{ i: 0 }, { i: 1 }]
    expect(groupsOf(other, 2, third)[0]).not.toBe(third[0])
    expect(groupsOf([], 2, third)).toEqual([])
  })
})

describe('createGrouper', () => {
  it('remembers its last split', () => {
    const group = createGrouper<number>(2)
    const first = group([1, 2, 3])
    expect(group([1, 2, 3, 4])[0]).toBe(first[0])
  })
})
