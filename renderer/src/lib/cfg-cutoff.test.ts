import { describe, expect, it } from 'vitest'
import {
  batchWorkSaved,
  cutoffFromPercent,
  minLivePercent,
  predictedUnetSaving
} from './cfg-cutoff'

describe('predictedUnetSaving', () => {
  it('is the share of unguided steps times the batch halving', () => {
    // T = 10, cutoff after index 4: steps 5…9 run at batch 1 → 5 · 1 of 10 · 2 units saved.
    expect(predictedUnetSaving(10, 4, 7.5)).toBeCloseTo(0.25, 12)
    expect(predictedUnetSaving(25, 10, 7.5)).toBeCloseTo((14 / 25) * 0.5, 12)
    expect(predictedUnetSaving(8, 0, 3)).toBeCloseTo((7 / 8) * 0.5, 12)
  })

  it('saves nothing without a cutoff, at the last step, or when guidance is off anyway', () => {
    expect(predictedUnetSaving(10, null, 7.5)).toBe(0)
    expect(predictedUnetSaving(10, 9, 7.5)).toBe(0)
    expect(predictedUnetSaving(10, 4, 1)).toBe(0)
    expect(predictedUnetSaving(0, 0, 7.5)).toBe(0)
  })
})

describe('minLivePercent', () => {
  it('keeps the cutoff step ahead of the last finished step', () => {
    // T = 10 after step index 3: the cutoff must be ≥ 4, i.e. trunc(10 · p / 100) ≥ 4 → p ≥ 40.
    expect(minLivePercent(10, 3)).toBe(40)
    const p = minLivePercent(51, 19)
    expect(Math.trunc((51 * p) / 100)).toBe(20)
    expect(Math.trunc((51 * (p - 1)) / 100)).toBeLessThanOrEqual(19)
  })

  it('does not limit the slider before the first step', () => {
    expect(minLivePercent(10, null)).toBe(0)
  })
})

describe('cutoffFromPercent', () => {
  it('maps 100 % to no cutoff and the rest to a ratio', () => {
    expect(cutoffFromPercent(100)).toBeNull()
    expect(cutoffFromPercent(40)).toEqual({ ratio: 0.4 })
    expect(cutoffFromPercent(0)).toEqual({ ratio: 0 })
  })
})

describe('batchWorkSaved', () => {
  it('counts the batch rows the unguided steps did not run', () => {
    // T = 10, cutoff after index 4: five steps at batch 2, five at batch 1 → 5 of 20 rows saved.
    const steps = Array.from({ length: 10 }, (_, i) => ({ unetBatch: i <= 4 ? 2 : 1 }))
    expect(batchWorkSaved(steps)).toBe(0.25)
    expect(batchWorkSaved(steps)).toBeCloseTo(predictedUnetSaving(10, 4, 7.5), 12)
  })

  it('is zero without a cutoff or without steps', () => {
    expect(batchWorkSaved([{ unetBatch: 2 }, { unetBatch: 2 }])).toBe(0)
    expect(batchWorkSaved([])).toBe(0)
  })
})
