// @vitest-environment happy-dom
import { Profiler } from 'react'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { paintMarkName } from '../../../shared/paint-marks'
import { GenerateParamsSchema } from '../../../shared/params'
import { previewFrames } from '../lib/preview-frames'
import type { LiveStep } from '../store/job-store'
import { useJobStore } from '../store/job-store'
import { previewOf, resetLiveStores, resultOf } from '../testing/live-events'
import { LiveView } from './live-view'

const params = GenerateParamsSchema.parse({
  prompt: 'a blue square',
  numInferenceSteps: 10,
  scheduler: 'EulerDiscreteScheduler'
})

function record(index: number): LiveStep {
  return {
    index,
    timestep: 999 - index * 100,
    total: 10,
    ms: 5,
    unetMs: 4,
    unetBatch: 2,
    cfg: true,
    guidanceScale: 7.5,
    previewMethod: 'tiny',
    previewMs: 2.5,
    hasPreview: true
  }
}

/** Steps `from`…`to − 1` of job `a`, previews first, as the event router delivers them. */
function finishSteps(from: number, to: number): void {
  act(() => {
    const records: LiveStep[] = []
    for (let i = from; i < to; i++) {
      previewFrames.put('a', i, previewOf(i), 1_700_000_000_000 + i)
      records.push(record(i))
    }
    useJobStore.getState().addSteps('a', records)
  })
}

function start(): void {
  act(() => {
    previewFrames.reset('a')
    useJobStore.getState().begin('a', 5, params, 10, 'denoising')
  })
}

const caption = (): string =>
  screen.getByText(/Step|Waiting|Nothing|Final|Stopped/).textContent ?? ''

beforeEach(() => {
  resetLiveStores()
  localStorage.clear()
})
afterEach(cleanup)

describe('LiveView', () => {
  it('says what to do before anything ran', () => {
    render(<LiveView />)
    expect(screen.getByText('Nothing generated yet')).toBeTruthy()
    expect(screen.queryByTestId('live-preview')).toBeNull()
  })

  it('shows the newest step of a running job and paints each preview on an animation frame', async () => {
    render(<LiveView />)
    start()
    expect(caption()).toBe('Waiting for the first step…')
    expect(screen.getByTestId('live-preview').getAttribute('aria-label')).toBe(
      'Waiting for the first step'
    )

    finishSteps(0, 3)
    expect(caption()).toBe('Step 3 of 10 · tiny preview 1×1')
    expect(screen.getByTestId('live-preview').getAttribute('aria-label')).toBe('Preview of step 3')
    // Painted from the preview event itself, outside React, and recorded for the benchmark.
    await waitFor(() =>
      expect(performance.getEntriesByName(paintMarkName('a', 2), 'mark')).toHaveLength(1)
    )
    const mark = performance.getEntriesByName(paintMarkName('a', 2), 'mark')[0] as PerformanceMark
    expect(mark.detail).toEqual({ endedAt: 1_700_000_000_002 })
    // Latest wins: the steps that came in the same frame were never painted.
    expect(performance.getEntriesByName(paintMarkName('a', 0), 'mark')).toHaveLength(0)
  })

  it('opens a step for inspection, and the run’s next steps do not re-render it', () => {
    let commits = 0
    render(
      <Profiler id="live-view" onRender={() => commits++}>
        <LiveView />
      </Profiler>
    )
    start()
    finishSteps(0, 4)
    act(() => useJobStore.getState().inspect(3))
    expect(screen.getByTestId('step-details').textContent).toContain('4 of 10')
    // The tile's details say which method made its preview and what it cost.
    expect(screen.getByTestId('step-preview-method').textContent).toBe('tiny · 2.5 ms')
    expect(screen.getByRole('img', { name: 'Preview of step 4' })).toBeTruthy()

    commits = 0
    finishSteps(4, 8)
    expect(commits).toBe(0)
    expect(screen.getByTestId('step-details').textContent).toContain('4 of 10')

    fireEvent.click(screen.getByTestId('back-to-live'))
    expect(useJobStore.getState().inspectedStep).toBeNull()
    expect(caption()).toBe('Step 8 of 10 · tiny preview 1×1')
  })

  it('says so when an inspected step has no preview, and shows it once it arrives', () => {
    render(<LiveView />)
    start()
    act(() => {
      useJobStore.getState().addSteps('a', [record(0)])
      useJobStore.getState().inspect(0)
    })
    expect(screen.getByText('No preview was sent for this step.')).toBeTruthy()
    act(() => previewFrames.put('a', 0, previewOf(1), 0))
    expect(screen.getByRole('img', { name: 'Preview of step 1' })).toBeTruthy()
  })

  it('ends with the decoded image and what the run was, or where it was stopped', () => {
    render(<LiveView />)
    start()
    finishSteps(0, 3)
    act(() => {
      const store = useJobStore.getState()
      store.applyDone('a', previewOf(9), resultOf(params, 5, 10, { stepsRun: 3 }), 'h1', null)
      store.applyState('a', 'stopped', undefined, 0)
    })
    expect(screen.queryByTestId('live-preview')).toBeNull()
    expect(screen.getByTestId('result-summary').textContent).toBe(
      'Stopped at step 3 of 10: partially denoised, decoded · 64×64 · seed 5 · Euler · 120 ms on cpu'
    )
    expect(
      screen.getByRole('img', { name: 'Partially denoised image: a blue square' })
    ).toBeTruthy()
  })

  it('lists the run’s warnings', () => {
    render(<LiveView />)
    start()
    act(() => useJobStore.getState().addWarning('a', 'the prompt was truncated to 77 tokens'))
    expect(screen.getByTestId('warnings').textContent).toBe('the prompt was truncated to 77 tokens')
  })

  it('says with the result when the run used the low-memory mode to fit the memory limit', () => {
    render(<LiveView />)
    start()
    finishSteps(0, 10)
    expect(screen.queryByTestId('low-memory-note')).toBeNull()
    const note =
      "low-memory mode: the UNet ran its 2 rows one per call (classifier-free guidance as separate unconditional and conditional calls) and the VAE decoded 768×768 in tiles of 512 px (as diffusers' enable_vae_tiling) to fit the memory limit of 5.6 GiB: the normal mode needs an estimated 7.9 GiB, the low-memory mode 5.5 GiB"
    act(() =>
      useJobStore
        .getState()
        .applyDone(
          'a',
          previewOf(9),
          { ...resultOf(params, 5, 10), memoryMode: 'low-memory', memoryNote: note },
          'h1',
          null
        )
    )
    expect(screen.getByTestId('low-memory-note').textContent).toBe('L' + note.slice(1))
  })
})
