import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { modeEstimates } from '../../testing/memory-limits'
import { MEMORY_LIMIT_ENV } from '../jobs/run-plan'
import type { CliIo } from './cli-io'
import { runCli } from './run-cli'

/**
 * `generate --low-memory auto|on|off` on the shipped model, in-process, with the plan's memory
 * limit lowered through STEPWISE_MEMORY_LIMIT_BYTES so that 96×128 fits only the low-memory mode:
 * auto runs it there and says so on stderr, off refuses it, and below even that mode's estimate
 * the refusal says so.
 */

const SHIPPED = join(__dirname, '../../resources/models/stepwise-shapes-64')
let scratch = ''
let between = 0
let belowLow = 0

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-lowmem-'))
  const { tiled, low } = await modeEstimates(SHIPPED, 96, 128)
  between = Math.round((tiled + low) / 2)
  belowLow = low - 1
})

afterEach(() => {
  delete process.env[MEMORY_LIMIT_ENV]
})

async function generate(
  args: string[],
  limit: number
): Promise<{ code: number; err: string[]; wrote: boolean }> {
  process.env[MEMORY_LIMIT_ENV] = String(limit)
  const err: string[] = []
  const io: CliIo = { out: () => undefined, err: (l) => err.push(l) }
  const png = join(scratch, `out-${Math.random().toString(36).slice(2)}.png`)
  const code = await runCli(
    [
      'generate',
      '--model',
      SHIPPED,
      '--prompt',
      'a red circle',
      '--provider',
      'cpu',
      '--seed',
      '1',
      '--steps',
      '2',
      '--scheduler',
      'euler',
      '--width',
      '96',
      '--height',
      '128',
      '--out',
      png,
      ...args
    ],
    io
  )
  return { code, err, wrote: existsSync(png) }
}

describe('stepwise generate --low-memory', () => {
  it('auto (the default) runs a size only the low-memory mode fits there, and says so', async () => {
    const r = await generate([], between)
    expect(r.code).toBe(0)
    expect(r.wrote).toBe(true)
    expect(r.err.filter((l) => l.startsWith('note: '))).toEqual([
      expect.stringMatching(
        /^note: low-memory mode: the UNet ran its 2 rows one per call \(classifier-free guidance as separate unconditional and conditional calls\) and the VAE decoded 96×128 in tiles of 64 px \(as diffusers' enable_vae_tiling\) to fit the memory limit of [\d.]+ GiB: the normal mode needs an estimated [\d.]+ GiB, the low-memory mode [\d.]+ GiB$/
      )
    ])
    const steps = r.err.filter((l) => l.startsWith('step '))
    expect(steps).toHaveLength(2)
    for (const line of steps) expect(line).toMatch(/ unet batch 2 in 2 calls \(/)
  })

  it('off refuses it; on uses the mode whatever the memory, without a note', async () => {
    const off = await generate(['--low-memory', 'off'], between)
    expect(off.code).toBe(1)
    expect(off.wrote).toBe(false)
    expect(off.err.filter((l) => l.startsWith('error: '))).toEqual([
      expect.stringMatching(/^error: 96×128 is too large for memory: a run with 2 UNet rows/)
    ])
    const on = await generate(['--low-memory', 'on'], 2 ** 40)
    expect(on.code).toBe(0)
    expect(on.err.some((l) => l.startsWith('note: '))).toBe(false)
    for (const line of on.err.filter((l) => l.startsWith('step '))) {
      expect(line).toMatch(/ unet batch 2 in 2 calls \(/)
    }
  })

  it('refuses a size over even the low-memory mode, saying so', async () => {
    const r = await generate([], belowLow)
    expect(r.code).toBe(1)
    expect(r.wrote).toBe(false)
    expect(r.err.filter((l) => l.startsWith('error: '))).toEqual([
      expect.stringMatching(
        /^error: 96×128 is too large for memory: .*; even the low-memory mode \(one UNet row per call, the VAE decoded in tiles of 64 px\) needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\); choose a smaller width and height$/
      )
    ])
  })

  it('names the flag for a value it does not know, and the variable for a bad limit', async () => {
    const flag = await generate(['--low-memory', 'maybe'], between)
    expect(flag.code).toBe(2)
    expect(flag.err).toContainEqual(
      'error: --low-memory: must be one of auto, on, off (got "maybe")'
    )
    process.env[MEMORY_LIMIT_ENV] = 'lots'
    const err: string[] = []
    const code = await runCli(
      ['generate', '--model', SHIPPED, '--prompt', 'x', '--provider', 'cpu'],
      { out: () => undefined, err: (l) => err.push(l) }
    )
    expect(code).toBe(2)
    expect(err).toContainEqual(
      `error: ${MEMORY_LIMIT_ENV} must be a positive whole number of bytes, got "lots"`
    )
  })
})
