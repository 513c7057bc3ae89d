import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodePng } from '../engine'
import { SD_DIR, SDXL_DIR } from '../../testing/fixture-models'
import type { CliIo } from './cli-io'
import type { GenerateJson } from './generate-command'
import { runCli } from './run-cli'

/**
 * `generate --save-state`, `--resume` and the guidance interval flags, in-process on the fixture
 * models: a run saved at step k and resumed gives the uninterrupted run's pixels; a resume may
 * change prompts and guidance but says so when asked to change what stays; bad files and values
 * are one `error:` line and nothing written.
 */
let scratch = ''
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-state-'))
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const code = await runCli(['generate', '--provider', 'cpu', ...args], io)
  return { code, out, err }
}

function json(r: { out: string[] }): GenerateJson {
  return JSON.parse(r.out[0] ?? '') as GenerateJson
}

function pixels(file: string): Buffer {
  return Buffer.from(decodePng(readFileSync(file)).data)
}

const model = ['--model', SD_DIR, '--prompt', 'a red circle', '--seed', '5']
const base = [...model, '--steps', '8']

describe('--save-state and --resume', () => {
  it('a run saved after step 3 and resumed gives the uninterrupted run’s image', async () => {
    const whole = join(scratch, 'whole.png')
    const state = join(scratch, 'at3.state')
    const rest = join(scratch, 'rest.png')
    expect((await cli([...base, '--scheduler', 'euler a', '--out', whole])).code).toBe(0)
    const stopped = await cli([
      ...base,
      '--scheduler',
      'euler a',
      '--stop-at-step',
      '3',
      '--save-state',
      state,
      '--out',
      join(scratch, 'stopped.png'),
      '--json'
    ])
    expect(stopped.code).toBe(0)
    expect(json(stopped)).toMatchObject({ stepsRun: 4, interrupted: true, savedState: state })
    expect(stopped.err).toContain(`saved the run state after step 4 to ${state}`)

    // Model, prompt, seed, steps and scheduler come from the file.
    const resumed = await cli(['--resume', state, '--out', rest, '--json'])
    expect(resumed.err.filter((l) => l.startsWith('error'))).toEqual([])
    expect(resumed.code).toBe(0)
    const r = json(resumed)
    expect(r).toMatchObject({
      resumedFrom: { step: 3, parentSeed: 5, parentPrompt: 'a red circle' },
      stepsRun: 8,
      interrupted: false,
      seed: 5,
      scheduler: 'EulerAncestralDiscreteScheduler'
    })
    expect(r.steps.map((s) => s.index)).toEqual([4, 5, 6, 7])
    expect(r.steps.every((s) => s.unetBatch === 2 && s.cfg && s.guidanceScale === 7.5)).toBe(true)
    expect(pixels(rest).equals(pixels(whole))).toBe(true)
  })

  it('branches: another prompt, guidance and interval, recorded per step', async () => {
    const state = join(scratch, 'branch.state')
    await cli([
      ...base,
      '--scheduler',
      'euler',
      '--stop-at-step',
      '2',
      '--save-state',
      state,
      '--out',
      join(scratch, 'b0.png')
    ])
    const branch = await cli([
      '--resume',
      state,
      '--prompt',
      'a blue square',
      '--guidance',
      '9',
      '--cfg-interval-steps',
      '3:6',
      '--out',
      join(scratch, 'b1.png'),
      '--json'
    ])
    expect(branch.code).toBe(0)
    const steps = json(branch).steps
    expect(steps.map((s) => [s.index, s.unetBatch, s.guidanceScale])).toEqual([
      [3, 2, 9],
      [4, 2, 9],
      [5, 2, 9],
      [6, 1, 0],
      [7, 1, 0]
    ])
  })

  it('refuses what a resumed run keeps, and files that are not a usable run state', async () => {
    const state = join(scratch, 'keep.state')
    await cli([
      ...base,
      '--stop-at-step',
      '2',
      '--save-state',
      state,
      '--out',
      join(scratch, 'k.png')
    ])
    const refuse = async (args: string[], message: string | RegExp): Promise<void> => {
      const out = join(scratch, `never-${Math.random().toString(36).slice(2)}.png`)
      const r = await cli([...args, '--out', out])
      expect(r.code, r.err.join('\n')).toBe(2)
      expect(r.out).toEqual([])
      expect(r.err.filter((l) => l.startsWith('error:'))).toHaveLength(1)
      expect(r.err.find((l) => l.startsWith('error:'))).toMatch(message)
      expect(existsSync(out)).toBe(false)
    }
    await refuse(
      ['--resume', state, '--width', '128'],
      'error: --width: a resumed run keeps the size of the run it continues (64); only --prompt, --negative-prompt, --guidance, the CFG cutoff and --cfg-interval may change'
    )
    await refuse(
      ['--resume', state, '--steps', '20'],
      '--steps: a resumed run keeps the number of steps'
    )
    await refuse(['--resume', state, '--seed', '6'], '--seed: a resumed run keeps the random state')
    await refuse(
      ['--resume', state, '--scheduler', 'ddim'],
      '--scheduler: a resumed run keeps the scheduler'
    )
    await refuse(
      ['--resume', state, '--stop-at-step', '1'],
      'after step index 2; stop at a later step'
    )
    const bytes = readFileSync(state)
    const cut = join(scratch, 'cut.state')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10))
    await refuse(['--resume', cut], /^error: --resume: ".*cut\.state" is truncated/)
    const edited = join(scratch, 'edited.state')
    const changed = Buffer.from(bytes)
    changed[changed.length - 3] = (changed[changed.length - 3] as number) ^ 1
    writeFileSync(edited, changed)
    await refuse(['--resume', edited], 'was changed or damaged after it was written')
    // Saved at the end of a whole run: the state is written, and there is nothing to continue.
    const ended = join(scratch, 'ended.state')
    const whole = await cli([
      ...base,
      '--scheduler',
      'euler',
      '--save-state',
      ended,
      '--out',
      join(scratch, 'e.png')
    ])
    expect(whole.code).toBe(0)
    expect(whole.err).toContain(`saved the run state after step 8 to ${ended}`)
    await refuse(
      ['--resume', ended],
      /^error: --resume: the run saved in .*ended\.state ran all its 8 steps: there is nothing left to continue/
    )
    const png = join(scratch, 'k.png')
    await refuse(['--resume', png], 'is not a Stepwise run snapshot')
    await refuse(['--resume', join(scratch, 'nope.state')], '--resume: no such file')
    // Another model: only known once the model is open, so it fails the run (exit 1), nothing written.
    const other = await cli([
      '--resume',
      state,
      '--model',
      SDXL_DIR,
      '--out',
      join(scratch, 'x.png')
    ])
    expect(other.code).toBe(1)
    expect(other.err.find((l) => l.startsWith('error:'))).toMatch(
      /the snapshot is of an SD run \(model "tiny-sd-random"\), but this is an SDXL pipeline/
    )
    expect(existsSync(join(scratch, 'x.png'))).toBe(false)
  })
})

describe('--cfg-interval', () => {
  it('guides only inside the window', async () => {
    const r = await cli([
      ...model,
      '--steps',
      '10',
      '--scheduler',
      'euler',
      '--cfg-interval',
      '0.2:0.8',
      '--out',
      join(scratch, 'i.png'),
      '--json'
    ])
    expect(r.code).toBe(0)
    expect(json(r).steps.map((s) => s.unetBatch)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
  })

  it('refuses a window whose start is not below its end, outside [0, 1], or of another form', async () => {
    const bad = async (args: string[]): Promise<string | undefined> =>
      (await cli([...base, ...args])).err.find((l) => l.startsWith('error:'))
    expect(await bad(['--cfg-interval', '0.8:0.2'])).toBe(
      'error: --cfg-interval: the start must be below the end (got 0.8 and 0.2)'
    )
    expect(await bad(['--cfg-interval', '0.2:1.5'])).toMatch(
      /^error: --cfg-interval: must be a finite number from 0 to 1 \(got 1.5\)/
    )
    expect(await bad(['--cfg-interval', '20%-80%'])).toBe(
      'error: --cfg-interval: must be START:END, e.g. 0.2:0.8 (got "20%-80%")'
    )
    expect(await bad(['--cfg-interval-steps', '5:30'])).toMatch(
      /^error: cfgInterval.endStepIndex: must be at most the number of (steps|timesteps) \(\d+\), got 30$/
    )
    expect(await bad(['--cfg-interval', '0.2:0.8', '--cfg-interval-steps', '1:3'])).toBe(
      'error: use either --cfg-interval or --cfg-interval-steps, not both'
    )
  })
})
