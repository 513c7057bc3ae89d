import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runChild, runRealScale } from './real-scale'
import { parseRealScaleArgs, type RealScaleOptions } from './real-scale-options'

/**
 * The `--real-scale` machinery on the tiny fixture model (the full-size export is never built
 * in CI): arguments, measurement processes, the memory cap. Nothing here judges a number.
 */
const TINY = join(__dirname, '../../fixtures/models/tiny-sd-random')

describe('bench --real-scale', () => {
  it('says how to build a full-size export when there is none', () => {
    expect(() => parseRealScaleArgs(['--real-scale', '--model', '/nonexistent/sd15'])).toThrow(
      /no full-size export at \/nonexistent\/sd15[^]*tools\/make_full_size_models\.py/
    )
    expect(() => parseRealScaleArgs(['--real-scale', '--model', TINY, '--sizes', '500'])).toThrow(
      '--sizes: 500 is not a multiple of 64'
    )
    expect(
      parseRealScaleArgs(['--real-scale', '--model', TINY, '--sizes', '512,640'])
    ).toMatchObject({
      modelDir: TINY,
      sizes: [512, 640],
      capGiB: 12,
      batches: [2]
    })
    expect(parseRealScaleArgs(['--model', TINY, '--batches', '1,2'])).toMatchObject({
      batches: [1, 2]
    })
    expect(() => parseRealScaleArgs(['--model', TINY, '--batches', '3'])).toThrow(
      '--batches: 3 is not 1 or 2'
    )
    expect(
      parseRealScaleArgs(['--model', TINY, '--steps', '12', '--no-pairs', '--unet-arena', 'on,off'])
    ).toMatchObject({ steps: 12, pairs: false, unetArena: [true, false] })
    expect(() => parseRealScaleArgs(['--model', TINY, '--unet-arena', 'maybe'])).toThrow(
      '--unet-arena: maybe is not on or off'
    )
  })

  it('measures each configuration in its own process', async () => {
    const options: RealScaleOptions = {
      modelDir: TINY,
      sizes: [64],
      capGiB: 4,
      runs: 2,
      unet: true,
      pipeline: true,
      attention: ['fused', 'exported'],
      memoryPattern: [false, true],
      unetArena: [true, false],
      steps: 3,
      batches: [2],
      threads: 1,
      json: true,
      save: false,
      out: null
    }
    const result = await runRealScale(options, () => undefined)
    expect(result.unet.map((u) => [u.size, u.attention, u.memoryPattern])).toEqual([
      [64, 'fused', false],
      [64, 'fused', true],
      [64, 'exported', false],
      [64, 'exported', true]
    ])
    for (const u of result.unet) {
      expect(u.stopped).toBeNull()
      expect(u.runMs).toHaveLength(2)
      expect(u.peakRssGiB).toBeGreaterThan(0)
    }
    expect(result.unet[0]?.graphPasses).toContain('unet: attention fused (14 of 14)')
    expect(result.unet[2]?.graphPasses).toContain('unet: attention not fused: turned off')
    // Whole generations, fused compared with exported.
    expect(
      result.pipeline.map((p) => [p.size, p.steps, p.attention, p.memoryPattern, p.unetArena])
    ).toEqual([
      [64, 3, 'fused', false, true],
      [64, 3, 'fused', false, false],
      [64, 3, 'fused', true, true],
      [64, 3, 'fused', true, false],
      [64, 3, 'exported', false, true]
    ])
    for (const p of result.pipeline) {
      expect(p.stopped).toBeNull()
      // Each UNet run (3 steps are 4 of PNDM's timesteps) paired with a bare one, the order
      // alternating.
      expect(p.stepMs).toHaveLength(4)
      expect(p.unetPairs?.pairs.map((pair) => pair.first)).toEqual([
        'pipeline',
        'bare',
        'pipeline',
        'bare'
      ])
      expect(p.unetPairs?.steadyPairs).toBe(3)
      expect(p.rssBeforeDecodeGiB).toBeGreaterThan(0)
      expect(p.decodePeakRssGiB).toBeGreaterThan(0)
    }
    // Without the UNet's arena the generation is the same.
    expect(result.pipeline[0]?.relativeDifferenceToExported).toBeLessThan(1e-5)
    expect(result.pipeline[1]?.relativeDifferenceToExported).toBe(
      result.pipeline[0]?.relativeDifferenceToExported
    )
  }, 300_000)

  it('kills a measurement that passes the memory cap, and says so', async () => {
    const outcome = await runChild(
      {
        kind: 'unet',
        modelDir: TINY,
        settings: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
        width: 64,
        height: 64,
        batch: 2,
        runs: 50
      },
      // Below what Node itself needs: the first poll kills it.
      32 * 1024 ** 2
    )
    expect(outcome.stopped).toMatch(/^killed at the memory cap: RSS [\d.]+ GiB > 0\.0 GiB$/)
  }, 60_000)
})
