import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SD_DIR, SHIPPED_DIR, TAESD_DIR } from '../../testing/fixture-models'
import { decodePng } from '../engine'
import type { CliIo } from './cli-io'
import type { GenerateJson } from './generate-command'
import { runCli } from './run-cli'

/**
 * `--preview-method` and `--preview-decoder`, run in-process on the fixtures: which method made
 * each step's preview (in --json and in the written PNGs), and the refusals (exit code 2, one
 * error line, nothing run).
 */

let scratch = ''
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-previews-'))
})

async function generate(
  args: string[]
): Promise<{ code: number; out: string[]; err: string[]; json: GenerateJson | null }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const png = join(scratch, `out-${Math.random().toString(36).slice(2)}.png`)
  const code = await runCli(
    ['generate', '--provider', 'cpu', '--seed', '4', '--out', png, '--json', ...args],
    io
  )
  const json = code === 0 && out[0] !== undefined ? (JSON.parse(out[0]) as GenerateJson) : null
  return { code, out, err, json }
}

function sizes(dir: string): Array<[string, number, number]> {
  return readdirSync(dir)
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => {
      const png = decodePng(readFileSync(join(dir, f)))
      return [f, png.width, png.height]
    })
}

describe('generate --preview-method', () => {
  it('tiny with a TAESD folder: full-resolution previews, the method and cost per step', async () => {
    const previews = join(scratch, 'tiny')
    const r = await generate([
      '--model',
      SD_DIR,
      '--prompt',
      'a red circle',
      '--steps',
      '2',
      '--previews',
      previews,
      '--preview-method',
      'tiny',
      '--preview-decoder',
      TAESD_DIR
    ])
    expect(r.code).toBe(0)
    expect(r.json?.previewMethod).toBe('tiny')
    // PNDM with skip_prk_steps: N + 1 timesteps.
    expect(r.json?.steps.map((s) => s.previewMethod)).toEqual(['tiny', 'tiny', 'tiny'])
    for (const s of r.json?.steps ?? []) {
      expect(s.previewMs).toBeGreaterThan(0)
      expect(s.previewMs).toBeLessThanOrEqual(s.ms)
    }
    expect(sizes(previews)).toEqual([
      ['0.png', 64, 64],
      ['1.png', 64, 64],
      ['2.png', 64, 64]
    ])
    expect(r.err.some((l) => /^step 1\/3 .* preview tiny \d+\.\d ms$/.test(l))).toBe(true)
  })

  it('vae:2 decodes with the VAE at steps 0, 2, … and the last, linear in between', async () => {
    const previews = join(scratch, 'vae2')
    const r = await generate([
      '--model',
      SD_DIR,
      '--prompt',
      'a red circle',
      '--steps',
      '4',
      '--previews',
      previews,
      '--preview-method',
      'VAE:2'
    ])
    expect(r.code).toBe(0)
    expect(r.json?.previewMethod).toBe('vae:2')
    expect(r.json?.steps.map((s) => s.previewMethod)).toEqual([
      'vae',
      'linear',
      'vae',
      'linear',
      'vae'
    ])
    expect(sizes(previews).map(([, w]) => w)).toEqual([64, 8, 64, 8, 64])
  })

  it("defaults to the model's tiny decoder with --previews, and to linear without", async () => {
    const previews = join(scratch, 'shipped')
    const args = ['--model', SHIPPED_DIR, '--prompt', 'a green square on a white background']
    const withPreviews = await generate([...args, '--steps', '2', '--previews', previews])
    expect(withPreviews.code).toBe(0)
    expect(withPreviews.json?.previewMethod).toBe('tiny')
    expect(sizes(previews).map(([, w, h]) => [w, h])).toEqual([
      [64, 64],
      [64, 64]
    ])
    const without = await generate([...args, '--steps', '2'])
    expect(without.json?.previewMethod).toBe('linear')
    expect(without.json?.steps.map((s) => s.previewMethod)).toEqual(['linear', 'linear'])
  })

  it('refuses a bad method and tiny without a decoder before running (exit code 2)', async () => {
    const base = ['--model', SD_DIR, '--prompt', 'x', '--steps', '1']
    const cases: Array<[string[], string]> = [
      [
        ['--preview-method', 'taesd'],
        'error: --preview-method: unknown preview method "taesd": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
      ],
      [
        ['--preview-method', 'vae:0'],
        'error: --preview-method: preview method "vae:0": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5), got "0"'
      ],
      [
        ['--preview-method', 'tiny'],
        `error: --preview-method tiny: ${SD_DIR} has no tiny preview decoder`
      ],
      [
        ['--preview-method', 'tiny', '--preview-decoder', join(scratch, 'nothing-here')],
        'error: --preview-decoder: no such folder or file'
      ],
      [
        ['--preview-method', 'tiny', '--preview-decoder', join(SD_DIR, 'tokenizer')],
        'error: --preview-decoder: No preview decoder in'
      ]
    ]
    for (const [extra, message] of cases) {
      const r = await generate([...base, ...extra])
      expect(r.code, extra.join(' ')).toBe(2)
      expect(r.out, extra.join(' ')).toEqual([])
      const errors = r.err.filter((l) => l.startsWith('error: '))
      expect(errors, extra.join(' ')).toHaveLength(1)
      expect(errors[0]?.startsWith(message), `${errors[0]} / ${message}`).toBe(true)
      expect(
        r.err.some((l) => l.startsWith('step ')),
        extra.join(' ')
      ).toBe(false)
    }
  })
})
