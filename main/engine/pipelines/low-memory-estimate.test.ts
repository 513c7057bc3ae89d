import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseUnetConfig, parseVaeConfig } from '../models/component-configs'
import type { MemoryProfile } from '../models/memory-profile'
import { checkRunMemory } from './memory-check'

/**
 * The memory model's estimate of the normal and the low-memory mode against peak RSS measured
 * through the CLI on a full-size SD 1.5 export (bench/results/*-low-memory.json, written from
 * `/usr/bin/time -v` of `generate --low-memory off|on`; bench/README.md, "Real scale"): within
 * ±25 % of every recorded peak. The file keeps what the estimate reads of that export (graph
 * bytes); the UNet and VAE configs are SD 1.5's, as recorded in sd15-full-size-profile.json.
 */

const RESULTS = path.join(__dirname, '../../../bench/results')
const GIB = 2 ** 30

interface LowMemoryResults {
  model: { dir: string; profile: MemoryProfile }
  cli: {
    size: number
    steps: number
    mode: 'normal' | 'low-memory'
    peakRssGiB: number
    exitCode: number | null
  }[]
}

const configs = JSON.parse(
  readFileSync(path.join(RESULTS, 'sd15-full-size-profile.json'), 'utf8')
) as { unetConfig: Record<string, unknown>; vaeConfig: Record<string, unknown> }
const fullSize = {
  unetConfig: parseUnetConfig(configs.unetConfig, 'unet/config.json'),
  vaeConfig: parseVaeConfig(configs.vaeConfig, 'vae_decoder/config.json', 'sd')
}
const recorded = readdirSync(RESULTS)
  .filter((f) => f.endsWith('-low-memory.json'))
  .map((f) => JSON.parse(readFileSync(path.join(RESULTS, f), 'utf8')) as LowMemoryResults)

describe('the memory model against the low-memory mode on a full-size SD 1.5 export', () => {
  it('has recorded CLI runs in both modes', () => {
    const modes = new Set(recorded.flatMap((r) => r.cli.map((c) => c.mode)))
    expect([...modes].sort()).toEqual(['low-memory', 'normal'])
  })

  it('estimates each mode within ±25 % of its measured peak', () => {
    const off = recorded.flatMap((r) =>
      r.cli
        .filter((c) => c.exitCode === 0)
        .flatMap((c) => {
          const check = checkRunMemory(
            fullSize,
            { width: c.size, height: c.size, unetRows: 2, images: 1 },
            r.model.profile,
            { attentionFused: true, provider: 'cpu' },
            { limit: 2 ** 50, tileSize: 512, lowMemory: c.mode === 'low-memory' ? 'on' : 'off' }
          )
          expect(check.mode === 'normal' ? 'normal' : 'low-memory').toBe(c.mode)
          const ratio = check.estimate.bytes / (c.peakRssGiB * GIB)
          return ratio >= 0.75 && ratio <= 1.25 ? [] : [{ ...c, ratio }]
        })
    )
    expect(off).toEqual([])
  })
})
