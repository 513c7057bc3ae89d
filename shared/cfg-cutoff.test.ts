import { describe, expect, it } from 'vitest'
import { cutoffStepIndex, ratioStepIndex } from './cfg-cutoff'

describe('ratioStepIndex', () => {
  it('is int(T · ratio), as diffusers computes it', () => {
    expect(ratioStepIndex(25, 0.4)).toBe(10)
    // 0.29 · 100 is 28.999999999999996 in IEEE doubles: truncation gives 28, not 29.
    expect(ratioStepIndex(100, 0.29)).toBe(28)
    expect(ratioStepIndex(50, 1)).toBe(50)
  })
})

describe('cutoffStepIndex', () => {
  it('is int(T · ratio), as diffusers computes it', () => {
    expect(cutoffStepIndex(25, { ratio: 0.4 })).toBe(10)
    expect(cutoffStepIndex(10, { ratio: 0.4 })).toBe(4)
    expect(cutoffStepIndex(51, { ratio: 0.4 })).toBe(20)
    expect(cutoffStepIndex(100, { ratio: 0.29 })).toBe(28)
    expect(cutoffStepIndex(7, { ratio: 0 })).toBe(0)
  })

  it('takes an exact step index as it is', () => {
    expect(cutoffStepIndex(30, { stepIndex: 10 })).toBe(10)
  })

  it('is null when the callback would never fire', () => {
    expect(cutoffStepIndex(20, null)).toBeNull()
    expect(cutoffStepIndex(20, { ratio: 1 })).toBeNull()
    expect(cutoffStepIndex(20, { stepIndex: 20 })).toBeNull()
  })
})
