// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from '../../../shared/params'
import type { GenerateParams } from '../contract'
import { previewFrames } from '../lib/preview-frames'
import type { LiveStep } from '../store/job-store'
import { useJobStore } from '../store/job-store'
import { previewOf, resetLiveStores, resultOf } from '../testing/live-events'
import { StepGallery } from './step-gallery'

function paramsWith(cfgCutoff: GenerateParams['cfgCutoff'], steps = 10): GenerateParams {
  return GenerateParamsSchema.parse({ prompt: 'a red circle', numInferenceSteps: steps, cfgCutoff })
}

function record(index: number, cutoffStep: number | null = null, total = 10): LiveStep {
  const cfg = cutoffStep === null || index <= cutoffStep
  return {
    index,
    timestep: 999 - index * 100,
    total,
    ms: 5,
    unetMs: 4,
    unetBatch: cfg ? 2 : 1,
    cfg,
    guidanceScale: 7.5,
    hasPreview: true
  }
}

/** Runs steps `from`…`to − 1` of job `a` through the store as the router does (previews first). */
function finishSteps(from: number, to: number, cutoffStep: number | null = null, total = 10): void {
  act(() => {
    const records: LiveStep[] = []
    for (let i = from; i < to; i++) {
      previewFrames.put('a', i, previewOf(i), 0)
      records.push(record(i, cutoffStep, total))
    }
    useJobStore.getState().addSteps('a', records)
  })
}

function start(params: GenerateParams, total = 10): void {
  act(() => {
    previewFrames.reset('a')
    useJobStore.getState().begin('a', 1, params, total, 'denoising')
  })
}

const items = (): HTMLElement[] => screen.queryAllByTestId('gallery-item')
const pending = (): HTMLElement | null => screen.queryByTestId('gallery-pending')

beforeEach(resetLiveStores)
afterEach(cleanup)

describe('StepGallery', () => {
  it('draws the steps to come as one element that shrinks as steps finish', () => {
    render(<StepGallery />)
    expect(items()).toHaveLength(0)
    expect(pending()).toBeNull()

    start(paramsWith(null))
    expect(pending()?.dataset['steps']).toBe('10')
    expect(screen.getByTestId('gallery').children).toHaveLength(1)

    finishSteps(0, 3)
    expect(items().map((item) => item.dataset['step'])).toEqual(['0', '1', '2'])
    expect(pending()?.dataset['steps']).toBe('7')
    // Three tiles and one element for everything still to come.
    expect(screen.getByTestId('gallery').children).toHaveLength(4)
    expect(screen.getByRole('heading', { name: /Steps/ }).textContent).toContain('3 of 10')

    finishSteps(3, 10)
    expect(pending()).toBeNull()
  })

  it('marks where guidance ends: among the steps to come, then on the step itself', () => {
    render(<StepGallery />)
    // int(10 · 0.4) = 4: steps 0…4 guided, 5…9 not.
    start(paramsWith({ ratio: 0.4 }))
    expect(pending()?.dataset['guidedSteps']).toBe('5')
    expect(screen.getByTestId('gallery-pending-marker')).toBeTruthy()
    expect(screen.getByRole('heading', { name: /Steps/ }).textContent).toContain(
      'guidance ends after step 5'
    )

    finishSteps(0, 5, 4)
    expect(pending()?.dataset['guidedSteps']).toBe('0')
    expect(screen.queryByTestId('gallery-pending-marker')).toBeNull()
    const last = items()[4]
    expect(last?.classList.contains('cutoff-after')).toBe(true)
    expect(last?.dataset['cfg']).toBe('on')

    finishSteps(5, 7, 4)
    expect(items()[6]?.dataset['cfg']).toBe('off')
    expect(items().filter((item) => item.classList.contains('cutoff-after'))).toHaveLength(1)
  })

  it('follows the worker’s cutoff while running and the recorded one afterwards', () => {
    render(<StepGallery />)
    start(paramsWith({ ratio: 0.4 }))
    act(() =>
      useJobStore.getState().applyCutoff('a', {
        cutoff: { ratio: 0.8 },
        cutoffStep: 8,
        locked: false,
        cfgInterval: null,
        guidanceStartStep: 0,
        startLocked: true,
        guidanceScale: null
      })
    )
    expect(pending()?.dataset['guidedSteps']).toBe('9')

    finishSteps(0, 3)
    act(() => {
      useJobStore
        .getState()
        .applyDone(
          'a',
          previewOf(1),
          resultOf(paramsWith({ ratio: 0.8 }), 1, 10, { stepsRun: 3 }),
          'h',
          null
        )
      useJobStore.getState().applyState('a', 'stopped', undefined, 0)
    })
    // A stopped run draws no slots for the steps that never ran.
    expect(pending()).toBeNull()
    expect(items()).toHaveLength(3)
  })

  it('opens a step for inspection and closes it with a second click, arrows move between steps', () => {
    render(<StepGallery />)
    start(paramsWith(null))
    finishSteps(0, 4)
    // The tile's own button (each tile also has a Branch button).
    const button = (i: number): HTMLElement =>
      within(items()[i] as HTMLElement).getByRole('button', { name: /^Step / })

    const toggle = useJobStore.getState().toggleInspect
    fireEvent.click(button(1))
    expect(useJobStore.getState().inspectedStep).toBe(1)
    expect(button(1).getAttribute('aria-pressed')).toBe('true')
    // Only the open step (or else the newest) is in the tab order.
    expect(items().map((_, i) => button(i).tabIndex)).toEqual([-1, 0, -1, -1])

    fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'ArrowRight' })
    expect(useJobStore.getState().inspectedStep).toBe(2)
    expect(document.activeElement).toBe(button(2))
    fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'Home' })
    expect(useJobStore.getState().inspectedStep).toBe(0)
    fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'ArrowLeft' })
    expect(useJobStore.getState().inspectedStep).toBe(0)

    fireEvent.click(button(0))
    expect(useJobStore.getState().inspectedStep).toBeNull()
    // The tiles' callback is the store's own action: one function for the store's life.
    expect(useJobStore.getState().toggleInspect).toBe(toggle)
  })

  it('keeps one tile per step, in order, across the groups a long run is drawn in', () => {
    render(<StepGallery />)
    start(paramsWith({ stepIndex: 35 }, 60), 60)
    for (let from = 0; from < 45; from += 7) finishSteps(from, Math.min(45, from + 7), 35, 60)
    expect(items().map((item) => Number(item.dataset['step']))).toEqual([...Array(45).keys()])
    expect(items().filter((item) => item.classList.contains('cutoff-after'))).toHaveLength(1)
    expect(items()[35]?.classList.contains('cutoff-after')).toBe(true)
    expect(pending()?.dataset['steps']).toBe('15')

    act(() => useJobStore.getState().inspect(33))
    const pressed = items().filter((item) => item.querySelector('[aria-pressed="true"]') !== null)
    expect(pressed.map((item) => item.dataset['step'])).toEqual(['33'])
    fireEvent.keyDown(screen.getByTestId('gallery'), { key: 'End' })
    expect(useJobStore.getState().inspectedStep).toBe(44)
    const inTabOrder = items().filter((item) => item.querySelector('[tabindex="0"]') !== null)
    expect(inTabOrder.map((item) => item.dataset['step'])).toEqual(['44'])
  })

  it('shows a tile’s preview when it arrives after the step’s record', () => {
    render(<StepGallery />)
    start(paramsWith(null))
    act(() => useJobStore.getState().addSteps('a', [{ ...record(0), hasPreview: true }]))
    const tile = items()[0] as HTMLElement
    expect(tile.querySelector('.thumb-missing')).not.toBeNull()
    act(() => previewFrames.put('a', 0, previewOf(3), 0))
    expect(tile.querySelector('.thumb-missing')).toBeNull()
    expect(tile.querySelector('canvas.thumb')).not.toBeNull()
  })
})
