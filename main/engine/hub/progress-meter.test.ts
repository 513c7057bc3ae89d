import { describe, expect, it } from 'vitest'
import { ProgressMeter } from './progress-meter'
import { backoffDelay, retryPolicy } from './retry-policy'

describe('ProgressMeter', () => {
  it('measures the rate over the last seconds and derives the ETA', () => {
    let now = 0
    const meter = new ProgressMeter(16_000_000, 1_000_000, () => now)
    expect(meter.totals()).toMatchObject({
      doneBytes: 1_000_000,
      bytesPerSecond: 0,
      etaSeconds: null
    })
    // 1 MB/s for 3 s.
    for (let i = 0; i < 30; i++) {
      now += 100
      meter.add(100_000)
    }
    let t = meter.totals()
    expect(t.doneBytes).toBe(4_000_000)
    expect(t.bytesPerSecond).toBeCloseTo(1_000_000, -3)
    expect(t.etaSeconds).toBeCloseTo(12, 1)
    // Then 2 MB/s for 6 s: the slower samples leave the 5 s window, so the rate is the new one.
    for (let i = 0; i < 60; i++) {
      now += 100
      meter.add(200_000)
    }
    t = meter.totals()
    expect(t.doneBytes).toBe(16_000_000)
    expect(t.bytesPerSecond).toBeCloseTo(2_000_000, -4)
    expect(t.etaSeconds).toBe(0)
  })

  it('counts resumed bytes as done but not towards the rate, and takes discarded bytes back', () => {
    let now = 0
    const meter = new ProgressMeter(1000, 0, () => now)
    meter.credit(400)
    now += 1000
    meter.add(100)
    expect(meter.totals()).toMatchObject({ doneBytes: 500, bytesPerSecond: 100, etaSeconds: 5 })
    meter.discard(500)
    expect(meter.totals().doneBytes).toBe(0)
    expect(meter.receivedBytes).toBe(100)
  })
})

describe('backoffDelay', () => {
  it('doubles from the minimum up to the cap, with at most 20 % jitter off', () => {
    const policy = retryPolicy({ retries: 8, minDelayMs: 1000, maxDelayMs: 8000 })
    expect([1, 2, 3, 4, 5].map((r) => backoffDelay(policy, r, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 8000
    ])
    expect(backoffDelay(policy, 1, () => 1)).toBe(800)
    expect(() => retryPolicy({ retries: -1 })).toThrow(/retry.retries must be a finite number >= 0/)
  })
})
