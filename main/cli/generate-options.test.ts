import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseGenerateOptions } from './generate-options'
import { numberOrText } from './parse-flags'
import { UsageError } from './usage-error'

const sdModel = resolve(__dirname, '../../fixtures/models/tiny-sd-random')
const base = ['--model', sdModel, '--prompt', 'a cat']
const scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-options-'))
const folderNamedPng = join(scratch, 'looks-like.png')
mkdirSync(folderNamedPng)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function usageError(args: string[]): string {
  try {
    parseGenerateOptions(args)
  } catch (error) {
    if (error instanceof UsageError) return error.message
    throw error
  }
  throw new Error(`expected a usage error for ${JSON.stringify(args)}`)
}

describe('parseGenerateOptions', () => {
  it('accepts every option, in both --flag value and --flag=value forms', () => {
    const options = parseGenerateOptions([
      ...base,
      '--negative-prompt=blurry, ugly',
      '--steps',
      '25',
      '--guidance',
      '6.5',
      '--seed=2628670641',
      '--width',
      '64',
      '--height',
      '128',
      '--scheduler',
      'dpm++',
      '--karras',
      '--cfg-cutoff-ratio',
      '0.4',
      '--cfg-interval',
      '0.1:0.9',
      '--stop-at-step',
      '10',
      '--save-state=state.bin',
      '--previews',
      'prev',
      '--preview-method',
      ' VAE : 5 ',
      '--preview-decoder',
      'fixtures/models/taesd-random',
      '--out',
      'x/out.PNG',
      '--provider',
      'cpu',
      '--low-memory',
      'on',
      '--json'
    ])
    expect(options).toEqual({
      modelDir: sdModel,
      libraryId: null,
      prompt: 'a cat',
      negativePrompt: 'blurry, ugly',
      numInferenceSteps: 25,
      guidanceScale: 6.5,
      width: 64,
      height: 128,
      seed: 2628670641,
      randomSeed: false,
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      cfgCutoff: { ratio: 0.4 },
      cfgInterval: { startRatio: 0.1, endRatio: 0.9 },
      stopAtStep: 10,
      saveState: resolve('state.bin'),
      resume: null,
      previewsDir: resolve('prev'),
      previewMethod: 'vae:5',
      previewDecoder: resolve('fixtures/models/taesd-random'),
      out: resolve('x/out.PNG'),
      provider: 'cpu',
      json: true,
      initImage: null,
      mask: null,
      strength: null,
      lowMemory: 'on'
    })
  })

  it('fills defaults: random 32-bit seed, auto provider, model defaults left open', () => {
    const options = parseGenerateOptions(base)
    expect(options).toMatchObject({
      negativePrompt: '',
      randomSeed: true,
      provider: 'auto',
      useKarrasSigmas: false,
      cfgCutoff: null,
      stopAtStep: null,
      previewsDir: null,
      previewMethod: null,
      previewDecoder: null,
      out: null,
      json: false,
      lowMemory: 'auto'
    })
    expect(options?.numInferenceSteps).toBeUndefined()
    expect(options?.scheduler).toBeUndefined()
    expect(Number.isInteger(options?.seed)).toBe(true)
    expect(options?.seed).toBeGreaterThanOrEqual(0)
    expect(options?.seed).toBeLessThan(2 ** 32)
  })

  it('takes A1111 sampler names with what they imply, and --algorithm-type', () => {
    expect(parseGenerateOptions([...base, '--scheduler', 'DPM++ 2M SDE Karras'])).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
    expect(parseGenerateOptions([...base, '--scheduler', 'DPM2 a'])).toMatchObject({
      scheduler: 'KDPM2AncestralDiscreteScheduler',
      useKarrasSigmas: false
    })
    expect(
      parseGenerateOptions([...base, '--scheduler', 'dpm++', '--algorithm-type', 'sde-dpmsolver++'])
    ).toMatchObject({ scheduler: 'DPMSolverMultistepScheduler', algorithmType: 'sde-dpmsolver++' })
    expect(() => parseGenerateOptions([...base, '--algorithm-type', 'fast'])).toThrow(
      /^--algorithm-type: unknown algorithm type "fast" \(allowed: /
    )
  })

  it('takes diffusers class names and aliases in any case, and a cutoff step', () => {
    expect(
      parseGenerateOptions([...base, '--scheduler', 'EulerDiscreteScheduler'])?.scheduler
    ).toBe('EulerDiscreteScheduler')
    expect(parseGenerateOptions([...base, '--scheduler', 'Euler-A'])?.scheduler).toBe(
      'EulerAncestralDiscreteScheduler'
    )
    expect(parseGenerateOptions([...base, '--cfg-cutoff-step', '10'])?.cfgCutoff).toEqual({
      stepIndex: 10
    })
  })

  it('accepts values that start with a dash when they are not options', () => {
    expect(parseGenerateOptions([...base, '--negative-prompt', '-ish'])?.negativePrompt).toBe(
      '-ish'
    )
  })

  it('returns null for --help, whatever else is there', () => {
    expect(parseGenerateOptions(['--help'])).toBeNull()
    expect(parseGenerateOptions([...base, '--steps', '0', '--help'])).toBeNull()
  })

  const cases: Array<[string, string[], string]> = [
    ['unknown flag', ['--stepz', '5'], 'unknown option --stepz for generate (allowed: --model, '],
    ['positional argument', ['cat'], 'unexpected argument "cat" for generate'],
    ['missing value at the end', ['--steps'], '--steps needs a value'],
    ['missing value before a flag', ['--seed', '--json'], '--seed needs a value'],
    ['flag twice', ['--steps', '2', '--steps', '3'], '--steps is given more than once'],
    ['value on a boolean', ['--karras=yes'], '--karras takes no value'],
    ['steps 0', ['--steps', '0'], '--steps: must be an integer from 1 to 500 (got 0)'],
    ['steps negative', ['--steps', '-3'], '--steps: must be an integer from 1 to 500 (got -3)'],
    ['steps fractional', ['--steps', '2.5'], '--steps: must be an integer from 1 to 500 (got 2.5)'],
    ['steps text', ['--steps', 'ten'], '--steps: must be an integer from 1 to 500 (got "ten")'],
    [
      'steps absurd',
      ['--steps', '1e9'],
      '--steps: must be an integer from 1 to 500 (got 1000000000)'
    ],
    [
      'guidance NaN',
      ['--guidance', 'NaN'],
      '--guidance: must be a finite number from 0 to 50 (got "NaN")'
    ],
    [
      'guidance inf',
      ['--guidance', 'inf'],
      '--guidance: must be a finite number from 0 to 50 (got Infinity)'
    ],
    [
      'guidance negative',
      ['--guidance', '-1'],
      '--guidance: must be a finite number from 0 to 50 (got -1)'
    ],
    ['width not /8', ['--width', '65'], '--width: must be a multiple of 8 from 8 to 2048 (got 65)'],
    [
      'height not /8',
      ['--height', '100'],
      '--height: must be a multiple of 8 from 8 to 2048 (got 100)'
    ],
    [
      'unknown scheduler',
      ['--scheduler', 'magic'],
      '--scheduler: unknown scheduler "magic" (allowed: DPMSolverMultistepScheduler'
    ],
    [
      'unknown provider',
      ['--provider', 'tpu'],
      '--provider: unknown provider "tpu" (allowed: auto, cpu, cuda, dml, coreml, webgpu)'
    ],
    [
      'both cutoffs',
      ['--cfg-cutoff-ratio', '0.4', '--cfg-cutoff-step', '3'],
      'use either --cfg-cutoff-ratio or --cfg-cutoff-step, not both'
    ],
    [
      'ratio above 1',
      ['--cfg-cutoff-ratio', '1.5'],
      '--cfg-cutoff-ratio: must be a finite number from 0 to 1 (got 1.5)'
    ],
    [
      'ratio below 0',
      ['--cfg-cutoff-ratio', '-0.1'],
      '--cfg-cutoff-ratio: must be a finite number from 0 to 1 (got -0.1)'
    ],
    [
      'cutoff step fractional',
      ['--cfg-cutoff-step', '2.5'],
      '--cfg-cutoff-step: must be an integer from 0 to 1000 (got 2.5)'
    ],
    [
      'seed fractional',
      ['--seed', '4.2'],
      '--seed: must be an integer from 0 to 9007199254740991 (got 4.2)'
    ],
    [
      'seed negative',
      ['--seed', '-1'],
      '--seed: must be an integer from 0 to 9007199254740991 (got -1)'
    ],
    [
      'stop step negative',
      ['--stop-at-step', '-1'],
      '--stop-at-step: must be an integer from 0 to 1000 (got -1)'
    ],
    [
      'out not png',
      ['--out', 'image.jpg'],
      '--out: must be a file name ending in .png (got "image.jpg")'
    ],
    [
      'out a folder',
      ['--out', join(__dirname, 'x.png', '..')],
      '--out: must be a file name ending in .png'
    ],
    ['previews a file', ['--previews', join(__dirname, 'help.ts')], 'is a file, not a folder'],
    [
      'an unknown preview method',
      ['--preview-method', 'taesd'],
      '--preview-method: unknown preview method "taesd": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
    ],
    [
      'vae:N without a whole N',
      ['--preview-method', 'vae:2.5'],
      '--preview-method: preview method "vae:2.5": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5), got "2.5"'
    ],
    [
      'a missing preview decoder',
      ['--preview-decoder', join(__dirname, 'no-such-taesd')],
      '--preview-decoder: no such folder or file'
    ]
  ]
  for (const [name, args, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(usageError([...base, ...args])).toContain(message)
    })
  }

  it('rejects a missing --model or --prompt, and a model folder that does not exist or is no model', () => {
    expect(usageError(['--prompt', 'x'])).toBe(
      '--model DIR is required (a diffusers ONNX folder, or a library id)'
    )
    expect(usageError(['--model', sdModel])).toBe('--prompt TEXT is required')
    expect(usageError(['--model', '/no/such/dir', '--prompt', 'x'])).toBe(
      '--model: no such folder "/no/such/dir"'
    )
    expect(usageError(['--model', __dirname, '--prompt', 'x'])).toContain(
      'is not a diffusers ONNX model folder (it has no model_index.json)'
    )
    expect(usageError(['--model', join(sdModel, 'model_index.json'), '--prompt', 'x'])).toContain(
      'is a file, not a model folder'
    )
  })

  it('reports every bad value of one command line on the same line', () => {
    expect(usageError([...base, '--steps', '0', '--width', '7'])).toBe(
      '--steps: must be an integer from 1 to 500 (got 0); --width: must be a multiple of 8 from 8 to 2048 (got 7)'
    )
  })
})

describe('numberOrText', () => {
  it('reads decimals, exponents and inf, and keeps anything else as text', () => {
    expect(numberOrText('42')).toBe(42)
    expect(numberOrText(' 6.5 ')).toBe(6.5)
    expect(numberOrText('.5')).toBe(0.5)
    expect(numberOrText('1e3')).toBe(1000)
    expect(numberOrText('-inf')).toBe(-Infinity)
    expect(numberOrText('0x10')).toBe('0x10')
    expect(numberOrText('')).toBe('')
    expect(numberOrText('12abc')).toBe('12abc')
  })
})
