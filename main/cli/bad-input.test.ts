import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeBrokenModels } from '../../testing/broken-models'
import type { BrokenModel } from '../../testing/broken-models'
import { SD_DIR } from '../../testing/fixture-models'
import type { CliIo } from './cli-io'
import { runCli } from './run-cli'

/**
 * The CLI door for what only the model or the run can tell (bad values of single flags are
 * covered in generate-options.test.ts; exit codes of the real process in cli.test.ts): run
 * in-process, every failure is one `error:` line on stderr naming what is wrong, nothing on
 * stdout, and no image written.
 */

let scratch = ''
let broken: BrokenModel[] = []

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-bad-'))
  broken = await makeBrokenModels(mkdtempSync(join(tmpdir(), 'stepwise-cli-broken-')))
}, 60_000)

async function generate(
  args: string[],
  prompt = 'a red circle'
): Promise<{ code: number; out: string[]; err: string[]; wrote: boolean }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const png = join(scratch, `out-${Math.random().toString(36).slice(2)}.png`)
  const code = await runCli(
    ['generate', '--prompt', prompt, '--provider', 'cpu', '--seed', '1', '--out', png, ...args],
    io
  )
  return { code, out, err, wrote: existsSync(png) }
}

const errors = (err: string[]): string[] => err.filter((l) => l.startsWith('error: '))

describe('stepwise generate: bad models and runs that cannot be', () => {
  it('fails each broken model folder with one error line naming the problem', async () => {
    for (const model of broken) {
      const r = await generate(['--model', model.dir, '--steps', '1'])
      expect([1, 2], model.what).toContain(r.code)
      expect(r.out, model.what).toEqual([])
      expect(errors(r.err), model.what).toHaveLength(1)
      expect(errors(r.err)[0], model.what).toMatch(model.error)
      expect(
        r.err.some((l) => /^\s+at /.test(l)),
        model.what
      ).toBe(false)
      expect(r.wrote, model.what).toBe(false)
    }
  })

  it('refuses a size too large for memory before loading anything', async () => {
    // With --low-memory auto (the default) this size would run in the low-memory mode
    // (low-memory.test.ts); off, the normal mode's estimate is refused.
    const r = await generate([
      '--model',
      SD_DIR,
      '--width',
      '2048',
      '--height',
      '2048',
      '--low-memory',
      'off'
    ])
    expect(r.code).toBe(1)
    expect(errors(r.err)).toEqual([
      expect.stringMatching(
        /^error: 2048×2048 is too large for memory: a run with 2 UNet rows needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\), over the limit of [\d.]+ GiB/
      )
    ])
    // Refused before any session was created: nothing was encoded.
    expect(r.err.some((l) => l.startsWith('encoding'))).toBe(false)
    expect(r.wrote).toBe(false)
  })

  it('refuses a width the model’s UNet cannot halve (72 px) as an argument error, before loading', async () => {
    const shipped = join(__dirname, '../../resources/models/stepwise-shapes-64')
    const r = await generate(['--model', shipped, '--width', '72'])
    expect(r.code).toBe(2)
    expect(errors(r.err)).toEqual([
      'error: --width: must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 72; try 64 or 80)'
    ])
    expect(r.err.some((l) => l.startsWith('loading') || l.includes('onnxruntime'))).toBe(false)
    expect(r.wrote).toBe(false)
    const tall = await generate(['--model', shipped, '--height', '88', '--steps', '1'])
    expect(errors(tall.err)[0]).toMatch(
      /^error: --height: must be a multiple of 16 .*try 80 or 96\)$/
    )
  })

  it('refuses a cutoff or stop step past the end of the run, counting PNDM’s extra timestep', async () => {
    // tiny-sd-random's scheduler is PNDM with skip_prk_steps: 3 steps iterate 4 timesteps.
    const past = await generate(['--model', SD_DIR, '--steps', '3', '--stop-at-step', '4'])
    // A usage error, named by its flag, before anything loads.
    expect(past.code).toBe(2)
    expect(errors(past.err)).toEqual([
      'error: --stop-at-step: must be below the number of timesteps (PNDMScheduler runs 4 for 3 steps), got 4'
    ])
    expect(past.err.some((l) => l.startsWith('loading'))).toBe(false)
    expect(past.wrote).toBe(false)
    const cutoff = await generate([
      '--model',
      SD_DIR,
      '--steps',
      '3',
      '--scheduler',
      'euler',
      '--cfg-cutoff-step',
      '3'
    ])
    expect(cutoff.code).toBe(2)
    expect(errors(cutoff.err)).toEqual([
      'error: --cfg-cutoff-step: must be below the number of steps (3), got 3'
    ])
    const last = await generate(['--model', SD_DIR, '--steps', '3', '--stop-at-step', '3'])
    expect(last.code).toBe(0)
    expect(last.wrote).toBe(true)
  })

  it('warns briefly when a prompt or negative prompt is cut, and still writes the image', async () => {
    const r = await generate(
      ['--model', SD_DIR, '--steps', '1', '--negative-prompt', `${'😀 '.repeat(90)}`],
      `${'red '.repeat(80)}tail`
    )
    expect(r.code).toBe(0)
    const said = r.err.find((l) => l.startsWith('warning: The prompt is '))
    const [, tokens, ignored] =
      /^warning: The prompt is (\d+) tokens long; the model reads 77, so the last (\d+) are ignored\.$/.exec(
        said ?? ''
      ) ?? []
    // At least 80 × "red" + "tail" + the start and end tokens.
    expect(Number(tokens)).toBeGreaterThanOrEqual(83)
    expect(Number(ignored)).toBe(Number(tokens) - 77)
    expect(r.err.filter((l) => l.startsWith('warning: The negative prompt is '))).toHaveLength(1)
    // Short: no quoted wall of text, no replacement characters.
    expect(r.err.join('\n')).not.toContain('red red red')
    expect(r.err.join('\n')).not.toContain('\uFFFD')
    expect(r.wrote).toBe(true)
  })
})
