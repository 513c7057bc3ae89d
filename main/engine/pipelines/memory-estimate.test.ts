import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseUnetConfig, parseVaeConfig } from '../models/component-configs'
import type { MemoryProfile } from '../models/memory-profile'
import { openModelFolder } from '../models/model-folder'
import { readMemoryProfile } from '../models/memory-profile'
import { SD_DIR } from '../testing/pipeline-fixtures'
import { checkRunMemory, type MemoryCheck, type MemorySaving } from './memory-check'
import {
  estimateRunMemory,
  expectedRunGraphs,
  type MemoryEstimate,
  type RunShape
} from './memory-estimate'

/**
 * The memory model against what was measured on a full-size SD 1.5 export (bench/README.md,
 * "Real scale"): the recorded results of `npm run bench -- --real-scale` and what the model reads
 * of that export (bench/results/sd15-full-size-profile.json), so the check runs without the 4 GB
 * export itself.
 */

const RESULTS = path.join(__dirname, '../../../bench/results')
const GIB = 2 ** 30

interface RecordedProfile {
  model: string
  profile: MemoryProfile
  unetConfig: Record<string, unknown>
  vaeConfig: Record<string, unknown>
}

interface Recorded {
  model: { dir: string }
  unet: {
    size: number
    batch: number
    attention: 'fused' | 'exported'
    memoryPattern: boolean
    peakRssGiB: number
    stopped: string | null
  }[]
  pipeline: {
    size: number
    steps: number
    batch?: 1 | 2
    attention: 'fused' | 'exported'
    memoryPattern: boolean
    peakRssGiB: number
    stopped: string | null
  }[]
}

const recordedProfile = JSON.parse(
  readFileSync(path.join(RESULTS, 'sd15-full-size-profile.json'), 'utf8')
) as RecordedProfile
const fullSize = {
  unetConfig: parseUnetConfig(recordedProfile.unetConfig, 'unet/config.json'),
  vaeConfig: parseVaeConfig(recordedProfile.vaeConfig, 'vae_decoder/config.json', 'sd')
}
const results = readdirSync(RESULTS)
  .filter((f) => f.endsWith('-real-scale.json'))
  .map((f) => JSON.parse(readFileSync(path.join(RESULTS, f), 'utf8')) as Recorded)
  .filter((r) => path.basename(r.model.dir) === recordedProfile.model)

function estimate(shape: RunShape, attentionFused: boolean, only?: 'unet'): MemoryEstimate {
  const profile: MemoryProfile =
    only === 'unet'
      ? { graphs: { unet: recordedProfile.profile.graphs.unet } }
      : recordedProfile.profile
  return estimateRunMemory(fullSize, shape, profile, { attentionFused, provider: 'cpu' })
}

describe('the memory model on a full-size SD 1.5 export', () => {
  // Generations measured with the engine's present session settings (the VAE decoder without
  // the CPU arena): the rows that record their UNet batch.
  const generations = results.flatMap((r) =>
    r.pipeline.filter(
      (p) =>
        p.batch !== undefined && p.stopped === null && p.attention === 'fused' && !p.memoryPattern
    )
  )

  it('has recorded generations at 512², 640² and 768², batch 1 and 2', () => {
    const measured = new Set(generations.map((p) => `${p.size}/${p.batch}`))
    for (const size of [512, 640, 768]) {
      for (const batch of [1, 2]) expect(measured).toContain(`${size}/${batch}`)
    }
  })

  it('estimates the peak RSS of whole generations within ±25 %', () => {
    const ratios = generations.map((p) => {
      const rows = p.batch ?? 2
      const e = estimate({ width: p.size, height: p.size, unetRows: rows, images: 1 }, true)
      return { size: p.size, batch: rows, ratio: e.bytes / (p.peakRssGiB * GIB) }
    })
    expect(ratios.filter((r) => r.ratio < 0.75 || r.ratio > 1.25)).toEqual([])
  })

  it('prices attention per token pair for the graph that runs: fused or as exported', () => {
    const runs = results.flatMap((r) => r.unet.filter((u) => !u.memoryPattern))
    expect(runs.some((u) => u.attention === 'exported')).toBe(true)
    const off = runs.flatMap((u) => {
      const e = estimate(
        { width: u.size, height: u.size, unetRows: u.batch, images: 0 },
        u.attention === 'fused',
        'unet'
      )
      const ratio = e.bytes / (u.peakRssGiB * GIB)
      // A run killed at the memory cap only says the estimate must be over what it reached.
      const ok = u.stopped === null ? ratio >= 0.75 && ratio <= 1.25 : ratio > 1
      return ok ? [] : [{ size: u.size, attention: u.attention, ratio }]
    })
    expect(off).toEqual([])
  })

  it('on an 8 GB machine (a 6 GiB limit): 512² fits, 768² decodes in tiles, 1024² is refused', () => {
    const check = (size: number): MemoryCheck =>
      checkRunMemory(
        fullSize,
        { width: size, height: size, unetRows: 2, images: 1 },
        recordedProfile.profile,
        { attentionFused: true, provider: 'cpu' },
        { limit: 6 * GIB, tileSize: 512 }
      )
    expect(check(512)).toMatchObject({ vaeTileSize: null, note: null, refusal: null })
    expect(check(768)).toMatchObject({
      vaeTileSize: 512,
      note: "the VAE decoded 768×768 in tiles of 512 px (as diffusers' enable_vae_tiling) to fit the memory limit of 6.0 GiB: a whole decode needs an estimated 7.9 GiB, tiled 5.9 GiB",
      refusal: null
    })
    expect(check(1024).refusal).toBe(
      '1024×1024 is too large for memory: a run with 2 UNet rows needs an estimated 12 GiB (weights 3.8 GiB, UNet 1.1 GiB, VAE decode 7.0 GiB), over the limit of 6.0 GiB; choose a smaller width and height'
    )
  })

  it('with the low-memory mode on auto: whole, then tiles, then one UNet row per call, else refused', () => {
    const check = (size: number, limit = 6 * GIB, lowMemory: MemorySaving = 'auto'): MemoryCheck =>
      checkRunMemory(
        fullSize,
        { width: size, height: size, unetRows: 2, images: 1 },
        recordedProfile.profile,
        { attentionFused: true, provider: 'cpu' },
        { limit, tileSize: 512, lowMemory }
      )
    expect(check(512)).toMatchObject({ mode: 'normal', unetRowsPerCall: null, note: null })
    expect(check(768)).toMatchObject({ mode: 'vae-tiles', vaeTileSize: 512, unetRowsPerCall: null })
    const tight = check(768, 5.6 * GIB)
    expect(tight).toMatchObject({ mode: 'low-memory', vaeTileSize: 512, unetRowsPerCall: 1 })
    expect(tight.note).toMatch(
      /^low-memory mode: the UNet ran its 2 rows one per call \(classifier-free guidance as separate unconditional and conditional calls\) and the VAE decoded 768×768 in tiles of 512 px \(as diffusers' enable_vae_tiling\) to fit the memory limit of 5\.6 GiB: the normal mode needs an estimated 7\.9 GiB, the low-memory mode 5\.\d GiB$/
    )
    expect(check(768, 4 * GIB).refusal).toMatch(
      /^768×768 is too large for memory: a run with 2 UNet rows needs an estimated 7\.9 GiB \(.*\), over the limit of 4\.0 GiB; even the low-memory mode \(one UNet row per call, the VAE decoded in tiles of 512 px\) needs an estimated 5\.\d GiB \(weights 3\.8 GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\); choose a smaller width and height$/
    )
    // Forced on, it is the mode whatever the memory, and no news.
    expect(check(512, 6 * GIB, 'on')).toMatchObject({ mode: 'low-memory', note: null })
    expect(check(512, 6 * GIB, 'on').estimate.unetBytes).toBeCloseTo(
      check(512).estimate.unetBytes / 2,
      0
    )
  })
})

describe('the memory model on the shipped fixture', () => {
  it('counts the weights, and attention as exported only when it is not fused', async () => {
    const folder = await openModelFolder(SD_DIR)
    const profile = await readMemoryProfile(folder)
    expect(Object.keys(profile.graphs)).toEqual(folder.components)
    expect(profile.graphs.unet?.float16).toBe(false)
    expect(expectedRunGraphs(profile)).toEqual({ attentionFused: true, provider: 'cpu' })
    expect(expectedRunGraphs(profile, { fuseAttention: false }).attentionFused).toBe(false)
    expect(expectedRunGraphs(profile, { gpu: true })).toEqual({
      attentionFused: false,
      provider: 'gpu'
    })
    const shape = { width: 256, height: 256, unetRows: 2, images: 1 }
    const fused = estimateRunMemory(folder, shape, profile, expectedRunGraphs(profile))
    const exported = estimateRunMemory(folder, shape, profile, { attentionFused: false })
    const bytes = Object.values(profile.graphs).reduce((s, g) => s + (g?.bytes ?? 0), 0)
    expect(fused.weightsBytes).toBe(bytes)
    expect(exported.unetBytes).toBeGreaterThan(fused.unetBytes)
    expect(fused.bytes).toBe(fused.weightsBytes + fused.unetBytes + fused.vaeBytes)
  })
})
