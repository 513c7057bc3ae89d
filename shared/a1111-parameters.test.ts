import { describe, expect, it } from 'vitest'
import type { ImageParameters } from './a1111-parameters'
import {
  formatA1111Parameters,
  parseA1111Parameters,
  quoteA1111Value,
  toGenerateParamsInput,
  unquoteA1111Value
} from './a1111-parameters'
import { GenerateParamsSchema } from './params'
import { ALGORITHM_TYPES_OF, SCHEDULER_CLASS_NAMES } from './schedulers'
import type { SchedulerClassName } from './schedulers'

const base: ImageParameters = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  steps: 20,
  scheduler: 'DPMSolverMultistepScheduler',
  useKarrasSigmas: true,
  algorithmType: 'dpmsolver++',
  guidanceScale: 5,
  seed: 42,
  width: 64,
  height: 64,
  model: 'stepwise-shapes-64'
}

describe('formatA1111Parameters', () => {
  it('writes the A1111 layout: prompt, negative prompt line, then one line of fields', () => {
    const text = formatA1111Parameters({
      ...base,
      negativePrompt: 'blurry',
      provider: 'cpu',
      version: 'Stepwise 0.1.0'
    })
    expect(text).toBe(
      'a red circle on a blue background\n' +
        'Negative prompt: blurry\n' +
        'Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5, Seed: 42, Size: 64x64, ' +
        'Model: stepwise-shapes-64, Scheduler: DPMSolverMultistepScheduler, Provider: cpu, ' +
        'Version: Stepwise 0.1.0'
    )
  })

  it('leaves out the negative prompt line when it is empty, and Schedule type without Karras', () => {
    const text = formatA1111Parameters({ ...base, useKarrasSigmas: false })
    expect(text.split('\n')).toEqual([
      base.prompt,
      'Steps: 20, Sampler: DPM++ 2M, CFG scale: 5, Seed: 42, Size: 64x64, Model: stepwise-shapes-64, Scheduler: DPMSolverMultistepScheduler'
    ])
  })

  it('writes Stepwise fields: guidance rescale, CFG cutoff ratio or step, stopped at step', () => {
    const ratio = formatA1111Parameters({
      ...base,
      guidanceRescale: 0.7,
      cfgCutoff: { ratio: 0.4 },
      stoppedAtStep: 10
    })
    expect(ratio).toContain('Guidance rescale: 0.7')
    expect(ratio).toContain('CFG cutoff: 0.4')
    expect(ratio).toContain('Stopped at step: 10')
    const step = formatA1111Parameters({ ...base, cfgCutoff: { stepIndex: 7 } })
    expect(step).toContain('CFG cutoff step: 7')
    expect(step).not.toContain('CFG cutoff:')
  })

  it('JSON-quotes field values with commas, colons, newlines, leading quotes or edge blanks', () => {
    expect(quoteA1111Value('plain')).toBe('plain')
    expect(quoteA1111Value('a, b')).toBe('"a, b"')
    expect(quoteA1111Value('a: b')).toBe('"a: b"')
    expect(quoteA1111Value('a\nb')).toBe('"a\\nb"')
    expect(quoteA1111Value('"quoted"')).toBe('"\\"quoted\\""')
    expect(quoteA1111Value(' padded ')).toBe('" padded "')
    expect(unquoteA1111Value('"a, b"')).toBe('a, b')
    expect(unquoteA1111Value('"not json')).toBe('"not json')
    expect(unquoteA1111Value('x')).toBe('x')
  })
})

describe('round trip through parseA1111Parameters', () => {
  const prompts: Array<[string, string, string]> = [
    ['plain', 'a cat', ''],
    ['commas', 'masterpiece, best quality, 8k', 'blurry, lowres, ugly'],
    ['newlines', 'first line\nsecond line\n\nfourth after a blank', 'neg one\nneg two'],
    ['quotes', 'a "quoted" word and \'single\' ones', '"starts with a quote"'],
    ['colons', 'style: anime, weight (cat:1.3), Steps: 5, Seed: 1, Size: 8x8', 'CFG scale: 9'],
    ['unicode', '猫 on a sofa 🐈, café', 'ñ'],
    ['edge blanks', '  leading and trailing  ', ' neg '],
    ['negative-looking prompt line', 'a cat\nNegative prompt: not really', ''],
    ['empty prompt', '', 'only a negative'],
    ['backslashes and tabs', 'C:\\path\\to\tfile', '\\n is not a newline'],
    ['carriage returns', 'line one\r\nline two', '']
  ]
  for (const [name, prompt, negativePrompt] of prompts) {
    it(`keeps the prompt exactly: ${name}`, () => {
      const original: ImageParameters = {
        ...base,
        prompt,
        negativePrompt,
        model: 'my model, v2: "final"',
        guidanceScale: 6.5,
        guidanceRescale: 0.25,
        cfgCutoff: { ratio: 0.4 },
        stoppedAtStep: 3,
        provider: 'cpu',
        version: 'Stepwise 0.1.0'
      }
      const parsed = parseA1111Parameters(formatA1111Parameters(original))
      expect(parsed.warnings).toEqual([])
      expect(parsed.params).toEqual(original)
      expect(parsed.prompt).toBe(prompt)
      expect(parsed.negativePrompt).toBe(negativePrompt)
    })
  }

  it('needs no Exact fields for ordinary prompts, and adds them only where A1111 would lose text', () => {
    expect(formatA1111Parameters({ ...base, prompt: 'a, b: "c"\nd' })).not.toContain('Exact')
    const padded = formatA1111Parameters({ ...base, prompt: ' a ' })
    expect(padded).toContain('Exact prompt: " a "')
    expect(padded).not.toContain('Exact negative prompt')
  })

  it('round-trips every scheduler with and without Karras sigmas, and a CFG cutoff step', () => {
    for (const scheduler of SCHEDULER_CLASS_NAMES) {
      const algorithms = ALGORITHM_TYPES_OF[scheduler] ?? [undefined]
      for (const algorithmType of algorithms) {
        for (const useKarrasSigmas of [false, true]) {
          const original: ImageParameters = {
            ...base,
            scheduler,
            useKarrasSigmas,
            cfgCutoff: { stepIndex: 4 }
          }
          if (algorithmType === undefined) delete original.algorithmType
          else original.algorithmType = algorithmType
          const parsed = parseA1111Parameters(formatA1111Parameters(original))
          expect(parsed.params, `${scheduler} ${algorithmType}`).toEqual(original)
          expect(parsed.warnings).toEqual([])
        }
      }
    }
  })

  it('writes A1111 sampler names, the SDE variant of DPM++ 2M included', () => {
    const sampler = (p: Partial<ImageParameters>): string =>
      /Sampler: ([^,]+)/.exec(formatA1111Parameters({ ...base, ...p }))?.[1] ?? ''
    expect(sampler({ algorithmType: 'sde-dpmsolver++' })).toBe('DPM++ 2M SDE')
    expect(sampler({ algorithmType: 'dpmsolver++' })).toBe('DPM++ 2M')
    const expected: Partial<Record<SchedulerClassName, string>> = {
      UniPCMultistepScheduler: 'UniPC',
      HeunDiscreteScheduler: 'Heun',
      KDPM2DiscreteScheduler: 'DPM2',
      KDPM2AncestralDiscreteScheduler: 'DPM2 a',
      DPMSolverSinglestepScheduler: 'DPM++ SDE',
      DEISMultistepScheduler: 'DEIS',
      TCDScheduler: 'TCD',
      EulerAncestralDiscreteScheduler: 'Euler a',
      PNDMScheduler: 'PLMS'
    }
    for (const [scheduler, name] of Object.entries(expected)) {
      const text = formatA1111Parameters({
        ...base,
        scheduler: scheduler as SchedulerClassName,
        algorithmType: undefined
      })
      expect(text).toContain(`Sampler: ${name}, Schedule type: Karras,`)
    }
    // sde-dpmsolver has no A1111 name: the plain name plus Stepwise's own field.
    const text = formatA1111Parameters({ ...base, algorithmType: 'sde-dpmsolver' })
    expect(text).toContain('Sampler: DPM++ 2M,')
    expect(text).toContain('Algorithm type: sde-dpmsolver')
  })
})

describe('parseA1111Parameters on other tools’ texts', () => {
  it('reads an A1111 text without Stepwise fields, mapping the sampler to a scheduler', () => {
    const parsed = parseA1111Parameters(
      'a house\nNegative prompt: fog\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7.0, ' +
        'Seed: 123, Size: 512x768, Model hash: abc123, Model: sd15, Version: v1.6.0'
    )
    expect(parsed.params).toEqual({
      prompt: 'a house',
      negativePrompt: 'fog',
      steps: 30,
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'dpmsolver++',
      guidanceScale: 7,
      seed: 123,
      width: 512,
      height: 768,
      model: 'sd15',
      version: 'v1.6.0'
    })
    expect(parsed.fields['Model hash']).toBe('abc123')
    expect(parsed.warnings).toEqual([])
  })

  it('maps A1111 sampler names as diffusers documents them, Karras and SDE included', () => {
    const read = (sampler: string, extra = ''): Partial<ImageParameters> => {
      const { params, warnings } = parseA1111Parameters(
        `x\nSteps: 20, Sampler: ${sampler}${extra}, Seed: 1`
      )
      expect(warnings, sampler).toEqual([])
      const { scheduler, useKarrasSigmas, algorithmType } = params
      return { scheduler, useKarrasSigmas, algorithmType }
    }
    expect(read('DPM++ 2M SDE Karras')).toEqual({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
    expect(read('DPM++ 2M SDE', ', Schedule type: Karras')).toEqual({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
    expect(read('DPM++ SDE')).toMatchObject({
      scheduler: 'DPMSolverSinglestepScheduler',
      useKarrasSigmas: false
    })
    expect(read('DPM2 a Karras')).toMatchObject({
      scheduler: 'KDPM2AncestralDiscreteScheduler',
      useKarrasSigmas: true
    })
    expect(read('UniPC').scheduler).toBe('UniPCMultistepScheduler')
    expect(read('Heun').scheduler).toBe('HeunDiscreteScheduler')
    expect(read('DPM2').scheduler).toBe('KDPM2DiscreteScheduler')
    expect(read('TCD').scheduler).toBe('TCDScheduler')
  })

  it('reports fields it cannot use instead of guessing', () => {
    const parsed = parseA1111Parameters(
      'x\nSteps: many, Sampler: DPM adaptive, CFG scale: high, Seed: -1, Size: big, Algorithm type: fast'
    )
    expect(parsed.params).toEqual({ prompt: 'x', negativePrompt: '', useKarrasSigmas: false })
    expect(parsed.warnings).toHaveLength(6)
    expect(parsed.warnings.join('\n')).toContain(
      'Sampler: no Stepwise scheduler for "DPM adaptive"'
    )
    expect(parsed.warnings.join('\n')).toContain('Algorithm type: unknown algorithm type "fast"')
  })

  it('treats text without a fields line as a prompt', () => {
    const parsed = parseA1111Parameters('just a caption, nothing else')
    expect(parsed.prompt).toBe('just a caption, nothing else')
    expect(parsed.fields).toEqual({})
  })
})

describe('toGenerateParamsInput', () => {
  it('gives parameters that pass the generation schema and reproduce the run', () => {
    const text = formatA1111Parameters({
      ...base,
      negativePrompt: 'fog',
      cfgCutoff: { ratio: 0.4 },
      stoppedAtStep: 10
    })
    const params = GenerateParamsSchema.parse(toGenerateParamsInput(parseA1111Parameters(text)))
    expect(params).toMatchObject({
      prompt: base.prompt,
      negativePrompt: 'fog',
      numInferenceSteps: 20,
      guidanceScale: 5,
      width: 64,
      height: 64,
      seed: 42,
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'dpmsolver++',
      cfgCutoff: { ratio: 0.4 },
      stopAtStep: 10
    })
  })

  it('restores DPM++ 2M SDE Karras from its text', () => {
    const text = formatA1111Parameters({ ...base, algorithmType: 'sde-dpmsolver++' })
    expect(text).toContain('Sampler: DPM++ 2M SDE, Schedule type: Karras')
    const params = GenerateParamsSchema.parse(toGenerateParamsInput(parseA1111Parameters(text)))
    expect(params).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
  })
})
