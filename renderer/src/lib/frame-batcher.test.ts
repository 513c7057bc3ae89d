import { describe, expect, it } from 'vitest'
import { FrameBatcher } from './frame-batcher'

function manualFrames(): {
  schedule: (cb: () => void) => number
  cancel: (h: number) => void
  tick: () => void
} {
  let pending: (() => void) | null = null
  return {
    schedule: (cb) => {
      pending = cb
      return 1
    },
    cancel: () => {
      pending = null
    },
    tick: () => {
      const cb = pending
      pending = null
      cb?.()
    }
  }
}

describe('FrameBatcher', () => {
  it('delivers every item, once per frame, in order', () => {
    const frames = manualFrames()
    const batches: number[][] = []
    const batcher = new FrameBatcher<number>(
      (items) => batches.push(items),
      frames.schedule,
      frames.cancel
    )
    batcher.push(0)
    batcher.push(1)
    batcher.push(2)
    frames.tick()
    batcher.push(3)
    frames.tick()
    frames.tick()
    expect(batches).toEqual([[0, 1, 2], [3]])
  })

  it('flushes at once on demand and then has nothing left for the frame', () => {
    const frames = manualFrames()
    const batches: string[][] = []
    const batcher = new FrameBatcher<string>(
      (items) => batches.push(items),
      frames.schedule,
      frames.cancel
    )
    batcher.push('step')
    batcher.flush()
    frames.tick()
    expect(batches).toEqual([['step']])
  })

  it('drops waiting items on clear', () => {
    const frames = manualFrames()
    const batches: string[][] = []
    const batcher = new FrameBatcher<string>(
      (items) => batches.push(items),
      frames.schedule,
      frames.cancel
    )
    batcher.push('old job')
    batcher.clear()
    frames.tick()
    expect(batches).toEqual([])
  })
})
