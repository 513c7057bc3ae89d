import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseA1111Parameters } from '../../shared/a1111-parameters'
import { decodePng, readPngText } from '../engine'
import { InferenceClient } from '../inference/client/inference-client'
import type { GenerateJson } from './generate-command'
import { defaultOutputPath } from './generate-command'
import { ensureBuilt, runBuiltCli } from '../../testing/built-cli'
import type { CliRun, CtrlC } from '../../testing/built-cli'

// The built CLI as a child process, on the fixture models: exit codes, stdout/stderr discipline,
// the JSON shape, previews and the PNG's parameters chunk.
const root = resolve(__dirname, '../..')
const sdModel = join(root, 'fixtures/models/tiny-sd-random')
const sdxlModel = join(root, 'fixtures/models/tiny-sdxl-random')
const scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-'))

/** Runs the built CLI in the scratch folder (or `cwd`). */
function runCli(args: string[], cwd = scratch): Promise<CliRun> {
  return runBuiltCli(args, { cwd })
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error:'))
}

const JSON_KEYS = [
  'model',
  'family',
  'provider',
  'seed',
  'width',
  'height',
  'scheduler',
  'numInferenceSteps',
  'numTimesteps',
  'strength',
  'startStep',
  'stepsRun',
  'interrupted',
  'previewMethod',
  'steps',
  'totalMs',
  'unetMs',
  'output',
  'resumedFrom',
  'savedState'
]

beforeAll(ensureBuilt, 300_000)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('stepwise generate (built CLI)', () => {
  it('--json prints exactly one JSON object and writes a PNG with A1111 parameters', async () => {
    const out = join(scratch, 'json', 'cat.png')
    const r = await runCli([
      'generate',
      '--model',
      sdModel,
      '--prompt',
      'a "cat", on: a mat\nsecond line',
      '--negative-prompt',
      'blurry',
      '--steps',
      '4',
      '--seed',
      '7',
      '--guidance',
      '6.5',
      '--scheduler',
      'euler',
      '--provider',
      'cpu',
      '--out',
      out,
      '--json'
    ])
    expect(r.code).toBe(0)
    expect(r.stdout.endsWith('\n')).toBe(true)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const json = JSON.parse(r.stdout) as GenerateJson
    expect(Object.keys(json)).toEqual(JSON_KEYS)
    expect(json).toMatchObject({
      model: sdModel,
      family: 'sd',
      provider: 'cpu',
      seed: 7,
      width: 64,
      height: 64,
      scheduler: 'EulerDiscreteScheduler',
      numInferenceSteps: 4,
      numTimesteps: 4,
      stepsRun: 4,
      interrupted: false,
      output: out
    })
    expect(json.steps.map((s) => Object.keys(s))).toEqual(
      Array(4).fill([
        'index',
        'timestep',
        'ms',
        'unetBatch',
        'cfg',
        'guidanceScale',
        'previewMethod',
        'previewMs'
      ])
    )
    // No --previews and no --preview-method: the cheapest method, as before.
    expect(json.previewMethod).toBe('linear')
    expect(json.steps.map((s) => s.previewMethod)).toEqual(Array(4).fill('linear'))
    expect(json.steps.map((s) => [s.index, s.unetBatch, s.cfg])).toEqual([
      [0, 2, true],
      [1, 2, true],
      [2, 2, true],
      [3, 2, true]
    ])
    expect(json.unetMs).toBeGreaterThan(0)
    expect(json.totalMs).toBeGreaterThanOrEqual(json.unetMs)
    expect(r.stderr).toContain('step 4/4')
    // Per-component load progress is for people reading stderr, not for --json runs.
    expect(r.stderr).not.toContain('loading UNet')

    const png = readFileSync(out)
    const decoded = decodePng(png)
    expect([decoded.width, decoded.height]).toEqual([64, 64])
    const parsed = parseA1111Parameters(readPngText(png).parameters ?? '')
    expect(parsed.warnings).toEqual([])
    expect(parsed.params).toMatchObject({
      prompt: 'a "cat", on: a mat\nsecond line',
      negativePrompt: 'blurry',
      steps: 4,
      scheduler: 'EulerDiscreteScheduler',
      useKarrasSigmas: false,
      guidanceScale: 6.5,
      seed: 7,
      width: 64,
      height: 64,
      model: 'tiny-sd-random',
      provider: 'cpu'
    })
    expect(parsed.fields['Sampler']).toBe('Euler')
  })

  it('--stop-at-step K runs K+1 steps, still decodes, and --previews writes one PNG per step', async () => {
    const previews = join(scratch, 'previews')
    const out = join(scratch, 'stopped.png')
    const r = await runCli([
      'generate',
      '--model',
      sdModel,
      '--prompt',
      'a photo of a cat',
      '--steps',
      '10',
      '--seed',
      '3',
      '--stop-at-step',
      '2',
      '--previews',
      previews,
      '--out',
      out,
      '--json'
    ])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as GenerateJson
    expect(json).toMatchObject({ stepsRun: 3, interrupted: true, scheduler: 'PNDMScheduler' })
    expect(json.numTimesteps).toBe(11) // PNDM with skip_prk_steps: N + 1
    expect(readdirSync(previews).sort()).toEqual(['0.png', '1.png', '2.png'])
    const preview = decodePng(readFileSync(join(previews, '0.png')))
    expect([preview.width, preview.height]).toEqual([8, 8])
    expect(decodePng(readFileSync(out)).width).toBe(64)
    const parsed = parseA1111Parameters(readPngText(readFileSync(out)).parameters ?? '')
    expect(parsed.params.stoppedAtStep).toBe(2)
  })

  it('runs the SDXL fixture with a diffusers class name, Karras sigmas and a 40% CFG cutoff', async () => {
    const r = await runCli([
      'generate',
      '--model',
      sdxlModel,
      '--prompt',
      'a sports car at the road',
      '--scheduler',
      'DPMSolverMultistepScheduler',
      '--karras',
      '--guidance',
      '6.5',
      '--steps',
      '5',
      '--cfg-cutoff-ratio',
      '0.4',
      '--seed',
      '2628670641',
      '--out',
      join(scratch, 'xl.png'),
      '--json'
    ])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as GenerateJson
    expect(json.family).toBe('sdxl')
    expect(json.scheduler).toBe('DPMSolverMultistepScheduler')
    // int(5 * 0.4) = 2: steps 0..2 with CFG (batch 2), then batch 1.
    expect(json.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1])
    const parsed = parseA1111Parameters(readPngText(readFileSync(json.output)).parameters ?? '')
    expect(parsed.params).toMatchObject({ useKarrasSigmas: true, cfgCutoff: { ratio: 0.4 } })
    expect(parsed.fields['Schedule type']).toBe('Karras')
  })

  it('writes ./stepwise-<seed>.png by default and never overwrites it', async () => {
    const cwd = mkdtempSync(join(scratch, 'default-'))
    const args = ['generate', '--model', sdModel, '--prompt', 'x', '--steps', '1', '--seed', '11']
    const first = await runCli(args, cwd)
    expect(first.code).toBe(0)
    expect(first.stdout).toBe(`${join(cwd, 'stepwise-11.png')}\n`)
    // Each component's load on stderr, in order, between "loading…" and "encoding…".
    const lines = first.stderr.split('\n')
    const loads = lines.filter((l) => /^load(ing|ed)[ …]/.test(l))
    expect(loads).toEqual([
      'loading…',
      expect.stringMatching(/^loading text encoder \(1 of 3, [\d.]+ [kM]B\)…$/),
      expect.stringMatching(/^loaded text encoder \(1 of 3\) in [\d.]+ s$/),
      expect.stringMatching(/^loading UNet \(2 of 3, [\d.]+ [kM]B\)…$/),
      expect.stringMatching(/^loaded UNet \(2 of 3\) in [\d.]+ s$/),
      expect.stringMatching(/^loading VAE decoder \(3 of 3, [\d.]+ [kM]B\)…$/),
      expect.stringMatching(/^loaded VAE decoder \(3 of 3\) in [\d.]+ s$/)
    ])
    expect(lines.indexOf('encoding…')).toBeGreaterThan(lines.indexOf(loads[6] as string))
    expect(existsSync(join(cwd, 'stepwise-11.png'))).toBe(true)
    expect(defaultOutputPath(11, cwd)).toBe(join(cwd, 'stepwise-11-1.png'))
  })

  it('gives the same pixels and parameters for the same seed in two processes', async () => {
    const args = (out: string): string[] => [
      'generate',
      '--model',
      sdxlModel,
      '--prompt',
      'a red circle',
      '--steps',
      '3',
      '--seed',
      '99',
      '--out',
      out
    ]
    const [a, b] = [join(scratch, 'same-a.png'), join(scratch, 'same-b.png')]
    expect((await runCli(args(a))).code).toBe(0)
    expect((await runCli(args(b))).code).toBe(0)
    const [pa, pb] = [decodePng(readFileSync(a)), decodePng(readFileSync(b))]
    expect(Buffer.from(pb.data).equals(Buffer.from(pa.data))).toBe(true)
    expect(pb.text).toEqual(pa.text)
  })

  it('Ctrl-C stops at the end of the current step and still writes the image (exit 130)', async () => {
    const out = join(scratch, 'sigint.png')
    // Once: a second Ctrl-C means "stop now".
    const { code, stdout, stderr } = await runBuiltCli(
      ['generate', '--model', sdModel, '--prompt', 'x', '--steps', '200', '--out', out, '--json'],
      { cwd: scratch, ctrlC: [{ after: 'step 3/' }] }
    )
    expect(code).toBe(130)
    expect(stderr).toContain('stopping at the end of this step')
    const json = JSON.parse(stdout) as GenerateJson
    expect(json.interrupted).toBe(true)
    expect(json.stepsRun).toBeLessThan(json.numTimesteps)
    expect(existsSync(out)).toBe(true)
  })
})

describe('stepwise generate: a second Ctrl-C stops now', () => {
  // The shipped model at 1024²: steps of several seconds here, several times the stop's own
  // work (a fresh inference process decoding the last finished step), so the second Ctrl-C lands
  // well inside a step and the stop can be told apart from the step's end.
  const shipped = join(root, 'resources/models/stepwise-shapes-64')
  const args = (out: string, extra: string[] = []): string[] => [
    'generate',
    '--model',
    shipped,
    '--prompt',
    'a yellow circle on a black background',
    '--steps',
    '3',
    '--seed',
    '21',
    '--width',
    '1024',
    '--height',
    '1024',
    '--scheduler',
    'EulerDiscreteScheduler',
    '--out',
    out,
    '--json',
    ...extra
  ]
  /** Ctrl-C `delayMs` after stderr shows `after`, then again once the CLI has taken it. */
  const twice = (after: string, delayMs: number): CtrlC[] => [
    { after, delayMs },
    { after: 'stopping at the end of this step' }
  ]

  it('ends the step in progress and writes the last finished step (its image and state) at once', async () => {
    const out = join(scratch, 'stop-now.png')
    const state = join(scratch, 'stop-now.stepwise-state')
    const run = await runBuiltCli(args(out, ['--save-state', state]), {
      cwd: scratch,
      ctrlC: twice('step 2/3', 300)
    })
    expect(run.code).toBe(130)
    expect(run.stderr).toContain('stopping now: the last finished step is the result')
    expect(run.stderr).toContain(
      "stopped now: the step in progress was abandoned; the image is step 2's, decoded by a fresh inference process"
    )
    const json = JSON.parse(run.stdout) as GenerateJson
    expect(json).toMatchObject({ interrupted: true, stepsRun: 2, output: out, savedState: state })
    expect(json.steps.map((s) => s.index)).toEqual([0, 1])
    expect(run.stderr).toContain(`saved the run state after step 2 to ${state}`)
    // Step 3 began when step 2's report came (seenAt[0]); at step 2's own pace it would have
    // ended step2Ms later. The CLI was done (image decoded and written, processes gone) before.
    const [step2Seen] = run.seenAt as [number]
    const step2Ms = json.steps[1]?.ms ?? 0
    expect(run.closedAt).toBeLessThan(step2Seen + step2Ms)

    // The same pixels as a regular stop after that step.
    const regular = join(scratch, 'stop-now-regular.png')
    const again = await runBuiltCli(args(regular, ['--stop-at-step', '1']), { cwd: scratch })
    expect(again.code).toBe(0)
    const [a, b] = [decodePng(readFileSync(out)), decodePng(readFileSync(regular))]
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true)
  }, 300_000)

  it('says there is no image when no step had finished, and writes none', async () => {
    const out = join(scratch, 'stop-now-none.png')
    const run = await runBuiltCli(args(out), { cwd: scratch, ctrlC: twice('denoising…', 300) })
    expect(run.code).toBe(130)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('stopped now before the first step finished, so there is no image')
    expect(run.stderr).not.toContain('step 1/3')
    expect(existsSync(out)).toBe(false)
  })
})

describe('stepwise generate: errors', () => {
  const base = ['generate', '--model', sdModel, '--prompt', 'x']
  // The full list of invalid values is checked in-process (generate-options.test.ts); these
  // confirm the exit code and stream discipline of the real process.
  const invalid: Array<[string, string[], string]> = [
    ['an unknown flag', [...base, '--stepz', '3'], 'error: unknown option --stepz for generate'],
    ['steps 0', [...base, '--steps', '0'], 'error: --steps: must be an integer from 1 to 500'],
    [
      'both cutoffs',
      [...base, '--cfg-cutoff-ratio', '0.4', '--cfg-cutoff-step', '2'],
      'error: use either --cfg-cutoff-ratio or --cfg-cutoff-step, not both'
    ],
    [
      'a missing model folder',
      ['generate', '--model', join(scratch, 'nope'), '--prompt', 'x'],
      'error: --model: no such folder'
    ]
  ]
  for (const [name, args, message] of invalid) {
    it(`exits 2 with one error line for ${name}`, async () => {
      const r = await runCli(args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr.startsWith(message)).toBe(true)
    })
  }

  it('exits 1 with one error line and no stack trace for a corrupt model file', async () => {
    const broken = join(scratch, 'broken-model')
    cpSync(sdModel, broken, { recursive: true })
    writeFileSync(join(broken, 'unet', 'model.onnx'), 'this is not an onnx file')
    const r = await runCli([
      'generate',
      '--model',
      broken,
      '--prompt',
      'x',
      '--steps',
      '1',
      '--provider',
      'cpu'
    ])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    const errors = errorLines(r.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/unet/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })

  it('documents every option with examples in --help', async () => {
    const r = await runCli(['generate', '--help'])
    expect(r.code).toBe(0)
    for (const flag of [
      '--model',
      '--prompt',
      '--negative-prompt',
      '--steps',
      '--guidance',
      '--seed',
      '--width',
      '--height',
      '--scheduler',
      '--karras',
      '--cfg-cutoff-ratio',
      '--cfg-cutoff-step',
      '--stop-at-step',
      '--previews',
      '--preview-method',
      '--preview-decoder',
      '--out',
      '--provider',
      '--json'
    ]) {
      expect(r.stdout).toContain(flag)
    }
    expect(r.stdout).toContain('Examples:')
    expect((await runCli(['--help'])).stdout).toContain('generate [options]')
  })
})

describe('the built inference process bundle', () => {
  it('out/main/inference.js runs a job through the client', async () => {
    const client = new InferenceClient({ entryFile: join(root, 'out/main/inference.js') })
    try {
      const result = await client.generate('bundle-1', {
        modelDir: sdModel,
        provider: 'cpu',
        prompt: 'x',
        negativePrompt: '',
        numInferenceSteps: 2,
        guidanceRescale: 0,
        seed: 1,
        useKarrasSigmas: false,
        cfgCutoff: null,
        cfgInterval: null,
        stopAtStep: null,
        previewEvery: 1,
        numImagesPerPrompt: 1
      })
      expect(result.stepsRun).toBe(3) // PNDM: N + 1 timesteps
    } finally {
      await client.terminate()
    }
  })
})
