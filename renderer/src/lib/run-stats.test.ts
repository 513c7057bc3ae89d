import { describe, expect, it } from 'vitest'
import { etaMs, formatDuration, formatPercent, formatRate, stepRate } from './run-stats'

describe('stepRate', () => {
  it('averages the most recent steps only', () => {
    const steps = [{ ms: 1000 }, { ms: 1000 }, { ms: 100 }, { ms: 100 }]
    expect(stepRate(steps, 2)).toEqual({ itPerSec: 10, msPerStep: 100 })
    expect(stepRate(steps, 4).msPerStep).toBe(550)
  })

  it('is zero before any step', () => {
    expect(stepRate([])).toEqual({ itPerSec: 0, msPerStep: 0 })
  })
})

describe('etaMs', () => {
  it('is the remaining steps times the step time', () => {
    expect(etaMs(10, 50, 20)).toBe(800)
    expect(etaMs(50, 50, 20)).toBe(0)
  })

  it('is unknown before the first step', () => {
    expect(etaMs(0, 50, 0)).toBeNull()
  })
})

describe('formatting', () => {
  it('formats durations for people', () => {
    expect(formatDuration(850.4)).toBe('850 ms')
    expect(formatDuration(4210)).toBe('4.2 s')
    expect(formatDuration(185_000)).toBe('3 min 05 s')
  })

  it('formats percentages and rates', () => {
    expect(formatPercent(0.25)).toBe('25 %')
    expect(formatPercent(0.2741)).toBe('27.4 %')
    expect(formatPercent(0.07)).toBe('7 %')
    expect(formatRate(250)).toBe('250 it/s')
    expect(formatRate(3.14159)).toBe('3.1 it/s')
    expect(formatRate(0.5)).toBe('2.0 s/it')
    expect(formatRate(0)).toBe('– it/s')
  })
})
