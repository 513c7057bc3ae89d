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
    const heard: number[] = []
    frames.subscribe((index) => heard.push(index))
    frames.reset('a')
    frames.put('a', 0, frame(1))
    frames.put('b', 5, frame(2))
    frames.put('a', 1, frame(3))
    expect(heard).toEqual([0, 1])
    expect(frames.latest()?.index).toBe(1)
    expect(frames.get(5)).toBeUndefined()
    frames.reset('b')
    expect(frames.latest()).toBeNull()
  })
})
