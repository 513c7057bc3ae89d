import { describe, expect, it } from 'vitest'
import {
  batchWorkSaved,
  cutoffFromPercent,
  cutoffStepFor,
  expectedTimesteps,
  isGuidedStep,
  minLivePercent,
  predictedUnetSaving
} from './cfg-cutoff'

describe('cutoffStepFor', () => {
  it('is int(T · ratio), as diffusers computes it', () => {
    expect(cutoffStepFor(25, { ratio: 0.4 })).toBe(10)
    expect(cutoffStepFor(10, { ratio: 0.4 })).toBe(4)
    expect(cutoffStepFor(51, { ratio: 0.4 })).toBe(20)
    // 0.29 · 100 is 28.999999999999996 in IEEE doubles: truncation gives 28, not 29.
    expect(cutoffStepFor(100, { ratio: 0.29 })).toBe(28)
    expect(cutoffStepFor(7, { ratio: 0 })).toBe(0)
  })

  it('takes an exact step index as it is', () => {
    expect(cutoffStepFor(30, { stepIndex: 10 })).toBe(10)
  })

  it('is null when the callback would never fire', () => {
    expect(cutoffStepFor(20, null)).toBeNull()
    expect(cutoffStepFor(20, { ratio: 1 })).toBeNull()
    expect(cutoffStepFor(20, { stepIndex: 20 })).toBeNull()
  })
})

describe('isGuidedStep', () => {
  it('guides steps up to and including the cutoff step', () => {
    const cutoff = cutoffStepFor(10, { ratio: 0.4 })
    const flags = Array.from({ length: 10 }, (_, i) => isGuidedStep(i, cutoff))
    expect(flags).toEqual([true, true, true, true, true, false, false, false, false, false])
  })

  it('guides every step without a cutoff', () => {
    expect(isGuidedStep(99, null)).toBe(true)
  })
})

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

describe('expectedTimesteps', () => {
  it('counts the repeated PNDM timestep and N for the others', () => {
    expect(expectedTimesteps('PNDMScheduler', 50)).toBe(51)
    expect(expectedTimesteps('EulerDiscreteScheduler', 50)).toBe(50)
    expect(expectedTimesteps(null, 20)).toBe(20)
  })

  it('counts 2·N − 1 model evaluations for the second-order Heun and KDPM2 schedulers', () => {
    expect(expectedTimesteps('HeunDiscreteScheduler', 25)).toBe(49)
    expect(expectedTimesteps('KDPM2DiscreteScheduler', 1)).toBe(1)
    expect(expectedTimesteps('KDPM2AncestralDiscreteScheduler', 4)).toBe(7)
    expect(expectedTimesteps('UniPCMultistepScheduler', 20)).toBe(20)
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
