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
      capGiB: 12
    })
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
    expect(result.pipeline.map((p) => [p.size, p.steps, p.attention, p.memoryPattern])).toEqual([
      [64, 2, 'fused', false],
      [64, 2, 'fused', true],
      [64, 2, 'exported', false]
    ])
    for (const p of result.pipeline) expect(p.stopped).toBeNull()
    expect(result.pipeline[0]?.relativeDifferenceToExported).toBeLessThan(1e-5)
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
