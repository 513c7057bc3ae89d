import { describe, expect, it } from 'vitest'
import { unetSavedFraction } from './unet-savings'

const guided = (ms: number) => ({ unetMs: ms, unetBatch: 2, cfg: true })
const unguided = (ms: number) => ({ unetMs: ms, unetBatch: 1, cfg: false })

describe('unetSavedFraction', () => {
  it('is zero without a cutoff, without steps, or without guidance', () => {
    expect(unetSavedFraction([guided(10), guided(10)], 7.5)).toBe(0)
    expect(unetSavedFraction([], 7.5)).toBe(0)
    expect(unetSavedFraction([unguided(5), unguided(5)], 1)).toBe(0)
  })

  it('compares unguided steps with the measured cost of guided ones', () => {
    // 2 guided steps at 10 ms, 2 unguided at 6 ms: spent 32, full-CFG 40 → 20 % saved.
    const steps = [guided(10), guided(10), unguided(6), unguided(6)]
    expect(unetSavedFraction(steps, 7.5)).toBeCloseTo(0.2, 10)
  })

  it('uses the batch ratio when no guided step was measured', () => {
    // Cutoff before step 0 ran unguided: each 5 ms step would have cost 10 ms with batch 2.
    expect(unetSavedFraction([unguided(5), unguided(5)], 7.5)).toBeCloseTo(0.5, 10)
  })

  it('stays within [0, 1) when unguided steps happen to be slower', () => {
    expect(unetSavedFraction([guided(5), unguided(9)], 7.5)).toBe(0)
  })
})
