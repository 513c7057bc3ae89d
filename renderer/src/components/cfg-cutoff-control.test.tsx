// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from '../../../shared/params'
import type { FormValues } from '../lib/form-params'
import { useFormStore } from '../store/form-store'
import type { LiveStep } from '../store/job-store'
import { useJobStore } from '../store/job-store'
import { useRunPlanStore } from '../store/run-plan-store'
import { resetLiveStores, resultOf } from '../testing/live-events'
import { CfgCutoffControl } from './cfg-cutoff-control'

/** The form as a person leaves it: 10 Euler steps, guidance 7.5, the slider at `percent`. */
function fillForm(percent: number, extra: Partial<FormValues> = {}): void {
  act(() => {
    const form = useFormStore.getState()
    form.replaceValues({
      ...form.values,
      prompt: 'a red circle',
      steps: '10',
      guidance: '7.5',
      scheduler: 'EulerDiscreteScheduler',
      cutoffPercent: percent,
      ...extra
    })
  })
}

const text = (testId: string): string => screen.getByTestId(testId).textContent ?? ''
const slider = (): HTMLInputElement => screen.getByTestId('cfg-cutoff-slider') as HTMLInputElement
const styleOf = (selector: string): CSSStyleDeclaration =>
  (screen.getByTestId('cutoff-strip').querySelector(selector) as HTMLElement).style

function step(index: number, cutoffStep: number): LiveStep {
  const cfg = index <= cutoffStep
  return {
    index,
    timestep: 999 - index * 100,
    total: 10,
    ms: 5,
    unetMs: 4,
    unetBatch: cfg ? 2 : 1,
    cfg,
    guidanceScale: 7.5,
    hasPreview: true
  }
}

function run(from: number, to: number, cutoffStep: number): void {
  act(() => {
    const steps: LiveStep[] = []
    for (let i = from; i < to; i++) steps.push(step(i, cutoffStep))
    useJobStore.getState().addSteps('a', steps)
  })
}

const params = GenerateParamsSchema.parse({
  prompt: 'a red circle',
  numInferenceSteps: 10,
  guidanceScale: 7.5,
  scheduler: 'EulerDiscreteScheduler',
  cfgCutoff: { ratio: 0.4 }
})

beforeEach(resetLiveStores)
afterEach(cleanup)

describe('CfgCutoffControl before a run', () => {
  it('turns the slider into diffusers’ cutoff step and predicts the UNet work saved', () => {
    fillForm(40)
    render(<CfgCutoffControl />)
    // int(10 · 0.4) = 4: guidance on steps 0…4, half the batch on the other 5 of 10.
    expect(text('cutoff-summary')).toBe(
      'Guidance ends after step 5 of 10 (diffusers cutoff_step_index 4) · saves ≈25 % of UNet work (predicted)'
    )
    expect(styleOf('.cutoff-strip-guided').width).toBe('50%')
    expect(styleOf('.cutoff-strip-marker').left).toBe('50%')
    expect(styleOf('.cutoff-strip-progress').width).toBe('0%')

    fireEvent.change(slider(), { target: { value: '100' } })
    expect(useFormStore.getState().values.cutoffPercent).toBe(100)
    expect(text('cutoff-summary')).toBe('Guidance on every step · no UNet work saved')
    expect(screen.queryByTestId('cutoff-marker')).toBeNull()
  })

  it('counts the timesteps main planned (PNDM’s extra one) and says when guidance is off anyway', () => {
    fillForm(50, { scheduler: 'PNDMScheduler', guidance: '1' })
    // Main's plan for the form: PNDM runs N + 1 = 11 timesteps, so int(11 · 0.5) = 5.
    useRunPlanStore.setState({ numTimesteps: 11 })
    render(<CfgCutoffControl />)
    expect(text('cutoff-summary')).toBe(
      'Guidance ends after step 6 of 11 (diffusers cutoff_step_index 5) · guidance ≤ 1 is off anyway: nothing to save'
    )
  })

  it('takes an exact step, starting from the one the slider meant', () => {
    fillForm(40)
    render(<CfgCutoffControl />)
    fireEvent.click(screen.getByTestId('cutoff-mode-step'))
    const input = screen.getByTestId('cutoff-step-input') as HTMLInputElement
    expect(input.value).toBe('5')
    expect(slider().disabled).toBe(true)
    fireEvent.change(input, { target: { value: '3' } })
    expect(text('cutoff-summary')).toContain('Guidance ends after step 3 of 10')
  })
})

describe('CfgCutoffControl during and after a run', () => {
  it('shows the run’s progress, locks once guidance has ended, and reports what was saved', () => {
    fillForm(40, { steps: '25' })
    render(<CfgCutoffControl />)
    act(() => useJobStore.getState().begin('a', 1, params, 10, 'denoising'))
    // The run's own T, not the form's 25 steps.
    expect(text('cutoff-summary')).toContain('Guidance ends after step 5 of 10')

    run(0, 4, 4)
    expect(styleOf('.cutoff-strip-progress').width).toBe('40%')
    expect(slider().disabled).toBe(false)
    expect(screen.queryByTestId('cutoff-locked')).toBeNull()

    run(4, 6, 4)
    expect(styleOf('.cutoff-strip-progress').width).toBe('60%')
    expect(slider().disabled).toBe(true)
    expect(screen.getByTestId('cutoff-locked')).toBeTruthy()

    run(6, 10, 4)
    act(() => {
      const store = useJobStore.getState()
      const result = { ...resultOf(params, 1, 10, { cfgCutoffStep: 4 }), unetSavedFraction: 0.2 }
      store.applyDone('a', { width: 1, height: 1, rgba: new Uint8Array(4) }, result, 'h', null)
      store.applyState('a', 'done', undefined, 0)
    })
    // Rows: 5 of 10 steps at batch 1 instead of 2 = 25 % of the rows, as predicted.
    expect(text('cutoff-measured')).toBe(
      'Last run: guidance ended after step 5, saved 20 % of UNet time (measured), 25 % predicted, and 25 % of UNet batch rows'
    )
    // The lock belonged to the finished run; the form's own steps count again.
    expect(slider().disabled).toBe(false)
    expect(text('cutoff-summary')).toContain('of 25')
    expect(styleOf('.cutoff-strip-progress').width).toBe('0%')
  })

  it('keeps a live cutoff ahead of the steps already run', () => {
    fillForm(90)
    render(<CfgCutoffControl />)
    act(() => {
      useJobStore
        .getState()
        .begin('a', 1, { ...params, cfgCutoff: { ratio: 0.9 } }, 10, 'denoising')
    })
    run(0, 7, 9)
    // Step index 6 has run: the first percentage whose cutoff int(10 · p) lies beyond it is 70.
    fireEvent.change(slider(), { target: { value: '30' } })
    expect(useFormStore.getState().values.cutoffPercent).toBe(70)
  })

  it('shows why the worker refused a change', () => {
    fillForm(40)
    render(<CfgCutoffControl />)
    act(() => {
      const store = useJobStore.getState()
      store.begin('a', 1, params, 10, 'denoising')
      store.applyCutoff('a', {
        cutoff: { ratio: 0.4 },
        cutoffStep: 4,
        locked: false,
        cfgInterval: null,
        guidanceStartStep: 0,
        startLocked: true,
        guidanceScale: null,
        refused: 'guidance already ended after step 4; the cutoff can no longer change'
      })
    })
    expect(
      screen.getByText('guidance already ended after step 4; the cutoff can no longer change')
    ).toBeTruthy()
  })
})
