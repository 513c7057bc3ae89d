import { describe, expect, it } from 'vitest'
import { PreviewFrames } from './preview-frames'

const frame = (v: number): { width: number; height: number; rgba: Uint8Array } => ({
  width: 1,
  height: 1,
  rgba: new Uint8Array([v, v, v, 255])
})

describe('PreviewFrames', () => {
  it('keeps the live job’s previews, tells listeners, and ignores other jobs', () => {
    const frames = new PreviewFrames()
    const heard: [number, number][] = []
    frames.subscribe((index, _frame, endedAt) => heard.push([index, endedAt]))
    frames.reset('a')
    frames.put('a', 0, frame(1), 1000.25)
    frames.put('b', 5, frame(2), 1001)
    frames.put('a', 1, frame(3), 1002.5)
    expect(heard).toEqual([
      [0, 1000.25],
      [1, 1002.5]
    ])
    expect(frames.latest()?.index).toBe(1)
    expect(frames.get(5)).toBeUndefined()
    frames.reset('b')
    expect(frames.latest()).toBeNull()
  })
})

describe('PreviewFrames.subscribeStep', () => {
  it('wakes a step’s listeners for that step’s preview and for a reset, for nothing else', () => {
    const frames = new PreviewFrames()
    frames.reset('a')
    let woken = 0
    const unsubscribe = frames.subscribeStep(3, () => woken++)
    frames.put('a', 2, frame(1), 0)
    frames.put('b', 3, frame(1), 0)
    expect(woken).toBe(0)
    frames.put('a', 3, frame(2), 0)
    expect(woken).toBe(1)
    expect(frames.get(3)).toEqual(frame(2))
    frames.reset('c')
    expect(woken).toBe(2)
    // Nothing was kept, so a second reset changes nothing a listener could see.
    frames.reset('d')
    expect(woken).toBe(2)
    unsubscribe()
    frames.reset('a')
    frames.put('a', 3, frame(3), 0)
    expect(woken).toBe(2)
  })
})
