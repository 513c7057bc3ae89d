import { describe, expect, it } from 'vitest'
import { LatestWinsPainter } from './latest-wins-painter'

/** A hand-cranked animation-frame clock: frames run only when the test says so. */
function frameClock(): {
  schedule: (cb: () => void) => number
  cancel: (handle: number) => void
  tick: () => void
  waiting: () => number
} {
  const callbacks = new Map<number, () => void>()
  let next = 1
  return {
    schedule: (cb) => {
      callbacks.set(next, cb)
      return next++
    },
    cancel: (handle) => callbacks.delete(handle),
    tick: () => {
      const due = [...callbacks.values()]
      callbacks.clear()
      for (const cb of due) cb()
    },
    waiting: () => callbacks.size
  }
}

describe('LatestWinsPainter', () => {
  it('paints only the newest of the frames offered within one animation frame', () => {
    const clock = frameClock()
    const painted: number[] = []
    const painter = new LatestWinsPainter<number>(
      (f) => painted.push(f),
      clock.schedule,
      clock.cancel
    )
    painter.submit(1)
    painter.submit(2)
    painter.submit(3)
    expect(clock.waiting()).toBe(1)
    expect(painted).toEqual([])
    clock.tick()
    expect(painted).toEqual([3])
    expect(painter.stats).toEqual({ submitted: 3, painted: 1 })
  })

  it('never queues frames: each animation frame paints at most one', () => {
    const clock = frameClock()
    const painted: number[] = []
    const painter = new LatestWinsPainter<number>(
      (f) => painted.push(f),
      clock.schedule,
      clock.cancel
    )
    for (let frame = 0; frame < 5; frame++) {
      for (let step = 0; step < 10; step++) painter.submit(frame * 10 + step)
      clock.tick()
    }
    expect(painted).toEqual([9, 19, 29, 39, 49])
    clock.tick()
    expect(painted).toHaveLength(5)
  })

  it('schedules again after a paint and stops after dispose', () => {
    const clock = frameClock()
    const painted: string[] = []
    const painter = new LatestWinsPainter<string>(
      (f) => painted.push(f),
      clock.schedule,
      clock.cancel
    )
    painter.submit('a')
    clock.tick()
    painter.submit('b')
    painter.dispose()
    clock.tick()
    expect(painted).toEqual(['a'])
    expect(clock.waiting()).toBe(0)
  })
})
