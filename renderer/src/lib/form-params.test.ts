import { describe, expect, it } from 'vitest'
import { INITIAL_VALUES } from '../store/form-store'
import type { FormValues } from './form-params'
import {
  checkForm,
  cutoffFromForm,
  formToCandidate,
  parseNumberField,
  parseSeedField,
  sizeHint,
  validCutoffFromForm,
  valuesFromResult
} from './form-params'

const filled: FormValues = {
  ...INITIAL_VALUES,
  modelId: 'stepwise-shapes-64',
  prompt: 'a red circle on a blue background',
  steps: '20',
  guidance: '7.5',
  width: '64',
  height: '64',
  scheduler: 'EulerDiscreteScheduler'
}

describe('parseNumberField', () => {
  it('leaves empty fields unset and passes non-numbers on for the schema to name', () => {
    expect(parseNumberField('  ')).toBeUndefined()
    expect(parseNumberField('20')).toBe(20)
    expect(parseNumberField('7.5')).toBe(7.5)
    expect(parseNumberField('-1')).toBe(-1)
    expect(parseNumberField('12a')).toBe('12a')
  })

  it('reads an empty seed and A1111’s -1 as random', () => {
    expect(parseSeedField('')).toBeNull()
    expect(parseSeedField('-1')).toBeNull()
    expect(parseSeedField('42')).toBe(42)
  })
})

describe('checkForm', () => {
  it('accepts a complete form and sends the values as numbers', () => {
    const check = checkForm(filled)
    expect(check.ok).toBe(true)
    if (!check.ok) return
    expect(check.params).toMatchObject({
      modelId: 'stepwise-shapes-64',
      numInferenceSteps: 20,
      guidanceScale: 7.5,
      width: 64,
      height: 64,
      seed: null,
      scheduler: 'EulerDiscreteScheduler',
      cfgCutoff: null
    })
  })

  it('reports each bad field with the shared schema’s message', () => {
    const check = checkForm({ ...filled, steps: '0', width: '65', guidance: 'lots' })
    expect(check.ok).toBe(false)
    if (check.ok) return
    expect(check.fieldErrors.steps).toBe('must be an integer from 1 to 500 (got 0)')
    expect(check.fieldErrors.width).toBe('must be a multiple of 8 from 8 to 2048 (got 65)')
    expect(check.fieldErrors.guidance).toBe('must be a finite number from 0 to 50 (got "lots")')
    expect(check.message).toMatch(/^Cannot generate: numInferenceSteps: must be an integer/)
  })

  it('refuses a size the model’s UNet cannot halve next to the field (issue 13: 72 px crashed)', () => {
    const check = checkForm({ ...filled, width: '72', height: '88' }, { sizeMultiple: 16 })
    expect(check.ok).toBe(false)
    if (check.ok) return
    expect(check.fieldErrors.width).toBe(
      'must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 72; try 64 or 80)'
    )
    expect(check.fieldErrors.height).toMatch(
      /^must be a multiple of 16 .*\(got 88; try 80 or 96\)$/
    )
    expect(check.message).toMatch(/^Cannot generate: width: must be a multiple of 16 .*; height: /)
    expect(checkForm({ ...filled, width: '80' }, { sizeMultiple: 16 }).ok).toBe(true)
    // Left empty, the size is the model's default, which fits it.
    expect(checkForm({ ...filled, width: '' }, { sizeMultiple: 16 }).ok).toBe(true)
    expect(sizeHint(16)).toBe('multiple of 16')
  })

  it('lets unset model-dependent fields fall back to the model’s defaults', () => {
    const candidate = formToCandidate({ ...filled, steps: '', width: '' })
    expect(candidate).not.toHaveProperty('numInferenceSteps')
    expect(candidate).not.toHaveProperty('width')
  })
})

describe('cutoffFromForm', () => {
  it('turns the slider into a ratio, and 100 % into no cutoff', () => {
    expect(cutoffFromForm({ ...filled, cutoffPercent: 40 })).toEqual({ ratio: 0.4 })
    expect(cutoffFromForm({ ...filled, cutoffPercent: 100 })).toBeNull()
  })

  it('turns a 1-based step number into diffusers’ 0-based cutoff_step_index', () => {
    expect(cutoffFromForm({ ...filled, cutoffMode: 'step', cutoffStepNumber: '11' })).toEqual({
      stepIndex: 10
    })
    expect(validCutoffFromForm({ ...filled, cutoffMode: 'step', cutoffStepNumber: 'x' })).toBeNull()
    const bad = checkForm({ ...filled, cutoffMode: 'step', cutoffStepNumber: '0' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.fieldErrors.cutoff).toMatch(/must be an integer from 0/)
  })
})

describe('the DPM++ 2M SDE choice', () => {
  it('sends the algorithm type with the scheduler and restores it from a result', () => {
    const check = checkForm({
      ...filled,
      scheduler: 'DPMSolverMultistepScheduler',
      algorithmType: 'sde-dpmsolver++',
      karras: true
    })
    if (!check.ok) throw new Error(check.message)
    expect(check.params).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      algorithmType: 'sde-dpmsolver++',
      useKarrasSigmas: true
    })
    expect(formToCandidate({ ...filled, algorithmType: '' })).not.toHaveProperty('algorithmType')
    const values = valuesFromResult(
      check.params,
      {
        modelId: 'stepwise-shapes-64',
        seed: 1,
        numInferenceSteps: 20,
        guidanceScale: 7.5,
        width: 64,
        height: 64,
        scheduler: 'DPMSolverMultistepScheduler',
        useKarrasSigmas: true,
        algorithmType: 'sde-dpmsolver++',
        cfgCutoff: null
      },
      INITIAL_VALUES
    )
    expect(values).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      algorithmType: 'sde-dpmsolver++',
      karras: true
    })
  })
})

describe('valuesFromResult', () => {
  it('restores the resolved values of a stored result, seed and final cutoff included', () => {
    // The request asked for 90 %; the slider moved the running job's cutoff to 40 %.
    const check = checkForm({ ...filled, steps: '', cutoffPercent: 90, keepPreviews: true })
    if (!check.ok) throw new Error(check.message)
    const values = valuesFromResult(
      check.params,
      {
        modelId: 'stepwise-shapes-64',
        seed: 1234,
        numInferenceSteps: 30,
        guidanceScale: 7.5,
        width: 64,
        height: 64,
        scheduler: 'EulerDiscreteScheduler',
        useKarrasSigmas: false,
        cfgCutoff: { ratio: 0.4 }
      },
      INITIAL_VALUES
    )
    expect(values).toMatchObject({
      prompt: filled.prompt,
      steps: '30',
      seed: '1234',
      cutoffMode: 'percent',
      cutoffPercent: 40,
      keepPreviews: true
    })
    expect(checkForm(values).ok).toBe(true)
  })
})
