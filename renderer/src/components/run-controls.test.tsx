// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GenerateParamsSchema } from '../../../shared/params'
import type { LiveStep } from '../store/job-store'
import { useJobStore } from '../store/job-store'
import { resetLiveStores } from '../testing/live-events'
import { RunControls } from './run-controls'

const params = GenerateParamsSchema.parse({ prompt: 'a blue square', numInferenceSteps: 10 })

function step(index: number, ms: number): LiveStep {
  return {
    index,
    timestep: 999 - index * 100,
    total: 10,
    ms,
    unetMs: ms - 1,
    unetBatch: 2,
    cfg: true,
    guidanceScale: 7.5,
    hasPreview: false
  }
}

const stopNow = (): HTMLElement | null => screen.queryByTestId('stop-now-button')

beforeEach(() => {
  resetLiveStores()
  vi.useFakeTimers()
  act(() => useJobStore.getState().begin('a', 5, params, 10, 'denoising'))
})

afterEach(() => {
  cleanup()
  vi.useRealTimers()
})

describe('RunControls: Stop now', () => {
  it('is offered once a step took a second or more, not for fast steps', () => {
    render(<RunControls />)
    act(() => useJobStore.getState().addSteps('a', [step(0, 40), step(1, 35)]))
    expect(stopNow()).toBeNull()
    act(() => useJobStore.getState().addSteps('a', [step(2, 1200)]))
    expect(stopNow()).not.toBeNull()
  })

  it('is offered when the step in progress (the first one too) has run a second', () => {
    render(<RunControls />)
    act(() => vi.advanceTimersByTime(900))
    expect(stopNow()).toBeNull()
    act(() => vi.advanceTimersByTime(200))
    expect(stopNow()).not.toBeNull()
    // A fast step comes: the next one starts its own second.
    act(() => useJobStore.getState().addSteps('a', [step(0, 30)]))
    expect(stopNow()).toBeNull()
  })

  it('is gone once the job has ended, and the status says where a stop now stopped', () => {
    render(<RunControls />)
    act(() => useJobStore.getState().addSteps('a', [step(0, 2000)]))
    expect(stopNow()).not.toBeNull()
    const note = 'stopped at step 1; decoding after the model reloads'
    act(() => useJobStore.getState().applyState('a', 'stopped', note, 0))
    expect(stopNow()).toBeNull()
    expect(screen.getByTestId('status').textContent).toBe(note)
  })
})
