import { describe, expect, it } from 'vitest'
import {
  guidanceWindow,
  intervalSteps,
  isGuided,
  lastGuidedStep,
  predictedWindowSaving
} from './guidance-window'
import { CfgIntervalSchema } from './params'

describe('the guidance window', () => {
  it('turns ratios into steps as diffusers does, int(T · r)', () => {
    expect(intervalSteps(40, { startRatio: 0.2, endRatio: 0.8 })).toEqual({ start: 8, end: 32 })
    expect(intervalSteps(100, { startRatio: 0.29, endRatio: 1 })).toEqual({ start: 28, end: 100 })
    expect(intervalSteps(10, { startStepIndex: 3, endStepIndex: 50 })).toEqual({
      start: 3,
      end: 10
    })
    expect(intervalSteps(10, null)).toEqual({ start: 0, end: 10 })
  })

  it('is [0, c + 1) for a cutoff with index c, and where both allow it with an interval', () => {
    expect(guidanceWindow(10, { ratio: 0.4 }, null)).toEqual({ start: 0, end: 5 })
    expect(guidanceWindow(10, { stepIndex: 6 }, { startRatio: 0.2, endRatio: 0.9 })).toEqual({
      start: 2,
      end: 7
    })
    const w = guidanceWindow(10, null, { startRatio: 0.2, endRatio: 0.8 })
    expect([...Array(10).keys()].map((i) => (isGuided(w, i) ? 2 : 1))).toEqual([
      1, 1, 2, 2, 2, 2, 2, 2, 1, 1
    ])
    expect(lastGuidedStep(10, null, { startRatio: 0.2, endRatio: 0.8 })).toBe(7)
    expect(lastGuidedStep(10, { stepIndex: 3 }, { startRatio: 0.2, endRatio: 0.8 })).toBe(3)
    expect(lastGuidedStep(10, { stepIndex: 9 }, null)).toBe(9)
    expect(lastGuidedStep(10, null, null)).toBeNull()
  })

  it('predicts the UNet work saved: half the batch on every unguided step', () => {
    const w = guidanceWindow(40, null, { startRatio: 0.2, endRatio: 0.8 })
    expect(predictedWindowSaving(40, w, 7.5)).toBeCloseTo(0.2, 10)
    expect(predictedWindowSaving(40, w, 1)).toBe(0)
  })

  it('refuses an interval whose start is not below its end, or outside [0, 1]', () => {
    const issue = (v: unknown): string | undefined =>
      CfgIntervalSchema.safeParse(v).error?.issues[0]?.message
    expect(issue({ startRatio: 0.8, endRatio: 0.2 })).toBe(
      'the start must be below the end (got 0.8 and 0.2)'
    )
    expect(issue({ startRatio: 0.2, endRatio: 1.5 })).toContain(
      'must be a finite number from 0 to 1'
    )
    expect(issue({ startStepIndex: 5, endStepIndex: 5 })).toBe(
      'the start must be below the end (got 5 and 5)'
    )
    expect(CfgIntervalSchema.safeParse({ startRatio: 0.2, endRatio: 0.8 }).success).toBe(true)
  })
})
