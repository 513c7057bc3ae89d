import { describe, expect, it } from 'vitest'
import { formatA1111Parameters } from '../../../shared/a1111-parameters'
import { INITIAL_VALUES } from '../store/form-store'
import { checkForm } from './form-params'
import { looksLikeInfotext, readInfotext } from './infotext'

describe('readInfotext', () => {
  it('fills the form from the parameters Stepwise writes into its PNGs', () => {
    const text = formatA1111Parameters({
      prompt: 'a red circle\non a blue background',
      negativePrompt: 'blurry',
      steps: 25,
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      guidanceScale: 6.5,
      seed: 42,
      width: 64,
      height: 64,
      model: 'stepwise-shapes-64',
      cfgCutoff: { ratio: 0.4 }
    })
    const reading = readInfotext(text, { ...INITIAL_VALUES, modelId: 'm' })
    expect(reading?.model).toBe('stepwise-shapes-64')
    expect(reading?.warnings).toEqual([])
    expect(reading?.values).toMatchObject({
      prompt: 'a red circle\non a blue background',
      negativePrompt: 'blurry',
      steps: '25',
      guidance: '6.5',
      seed: '42',
      width: '64',
      height: '64',
      scheduler: 'DPMSolverMultistepScheduler',
      karras: true,
      cutoffMode: 'percent',
      cutoffPercent: 40
    })
    expect(checkForm(reading?.values ?? INITIAL_VALUES).ok).toBe(true)
  })

  it('reads A1111’s own text, with the schedule folded into the sampler name', () => {
    const text =
      'a cat\nNegative prompt: dog\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 9, Size: 512x768'
    const reading = readInfotext(text, INITIAL_VALUES)
    expect(reading?.values).toMatchObject({
      prompt: 'a cat',
      negativePrompt: 'dog',
      steps: '30',
      width: '512',
      height: '768',
      karras: true
    })
  })

  it('leaves ordinary prompts alone', () => {
    expect(looksLikeInfotext('a red circle')).toBe(false)
    expect(readInfotext('a red circle', INITIAL_VALUES)).toBeNull()
  })
})
