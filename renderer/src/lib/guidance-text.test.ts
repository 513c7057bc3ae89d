import { describe, expect, it } from 'vitest'
import { guidanceSummary, measuredSummary } from './guidance-text'

describe('the guidance control’s sentences', () => {
  it('say where guidance runs, in 1-based steps', () => {
    expect(guidanceSummary(10, 0, null)).toBe('Guidance on every step')
    expect(guidanceSummary(10, 0, 4)).toBe('Guidance ends after step 5 of 10')
    expect(guidanceSummary(10, 2, 7)).toBe('Guidance from step 3 to step 8 of 10')
    expect(guidanceSummary(10, 2, null)).toBe('Guidance from step 3 to the last step of 10')
    expect(guidanceSummary(10, 6, 3)).toBe('No guidance on any of the 10 steps')
  })

  it('say what a finished run saved, measured and predicted', () => {
    const result = { numTimesteps: 10, unetSavedFraction: 0.19, cfgCutoffStep: 7 }
    expect(measuredSummary({ ...result, guidanceStartStep: 2 }, 0.2, 0.2)).toBe(
      'guidance ran from step 3 to step 8, saved 19 % of UNet time (measured), 20 % predicted, and 20 % of UNet batch rows'
    )
    expect(measuredSummary({ ...result, guidanceStartStep: 0 }, 0.1, 0.1)).toMatch(
      /^guidance ended after step 8, saved 19 % of UNet time \(measured\)/
    )
    expect(measuredSummary({ ...result, cfgCutoffStep: null, guidanceStartStep: null }, 0, 0)).toBe(
      'guidance on every step, nothing saved'
    )
  })
})
