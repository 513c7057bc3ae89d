import type { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import path from 'node:path'
import { SD_DIR, SDXL_DIR, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'
import { AutoPipelineForText2Image } from './auto-pipeline'

const SHIPPED = path.join(__dirname, '../../../resources/models/stepwise-shapes-64')

/**
 * The low-memory mode on the shipped model and the fixtures: classifier-free guidance as two UNet calls of one
 * row each (unconditional, then conditional) instead of diffusers' one batch of two, and the VAE
 * in tiles; chosen by itself with `enableLowMemoryMode('auto')` when neither the normal mode nor
 * the tiled decode fits the memory limit.
 */

const run = { prompt: 'a red circle', numInferenceSteps: 3, width: 96, height: 128 }
const shape = { width: 96, height: 128, unetRows: 2, images: 1 }

describe('the low-memory mode', () => {
  it.each([
    ['the shipped model', SHIPPED, 96, 128],
    ['the tiny SDXL fixture', SDXL_DIR, 64, 64]
  ])(
    'runs CFG as two one-row UNet calls whose latents equal the batched run’s (%s)',
    async (_name, dir, width, height) => {
      const pipe = await AutoPipelineForText2Image.fromPretrained(dir, TEST_SESSION_OPTIONS)
      const call = { ...run, width, height, outputType: 'latent' as const }
      const batched = await pipe.call({ ...call, generator: new Generator().manualSeed(5) })
      pipe.enableLowMemoryMode()
      const split = await pipe.call({ ...call, generator: new Generator().manualSeed(5) })
      expect(split.steps.length).toBe(batched.steps.length)
      expect(batched.steps.every((s) => s.unetBatch === 2 && s.unetCalls === 1)).toBe(true)
      expect(split.steps.every((s) => s.unetBatch === 2 && s.unetCalls === 2)).toBe(true)
      // Bit-identical: onnxruntime's CPU kernels compute each row of a batch as they compute it
      // alone here (a graph whose kernels do not may differ by float32 rounding).
      const bytes = (t: Tensor): Buffer => Buffer.from((t.data as Float32Array).buffer)
      expect(bytes(split.images).equals(bytes(batched.images))).toBe(true)
      // Asked for, the mode is no news: no warning.
      expect(split.warnings.some((w) => w.startsWith('low-memory mode'))).toBe(false)
      // Off again, one call per step.
      pipe.disableLowMemoryMode()
      const again = await pipe.call({ ...call, generator: new Generator().manualSeed(5) })
      expect(again.steps.every((s) => s.unetCalls === 1)).toBe(true)
      await pipe.release()
    }
  )

  it('is chosen by itself only when the tiled decode does not fit either, and says so', async () => {
    const probe = await AutoPipelineForText2Image.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    const whole = await probe.estimateMemory(shape)
    const tiled = await probe.estimateMemory(shape, 64)
    const low = await probe.estimateMemory({ ...shape, unetRowsPerCall: 1 }, 64)
    expect(low.unetBytes).toBeCloseTo(tiled.unetBytes / 2, 0)
    expect(low.bytes).toBeLessThan(tiled.bytes)
    await probe.release()

    const between = Math.round((tiled.bytes + low.bytes) / 2)
    const auto = await AutoPipelineForText2Image.fromPretrained(SD_DIR, {
      ...TEST_SESSION_OPTIONS,
      memoryLimitBytes: between
    })
    auto.enableLowMemoryMode('auto')
    const a = await auto.call({ ...run, generator: new Generator().manualSeed(3) })
    expect([a.images[0]?.width, a.images[0]?.height]).toEqual([96, 128])
    expect(a.steps.every((s) => s.unetCalls === 2 && s.unetBatch === 2)).toBe(true)
    expect(a.warnings).toContainEqual(
      expect.stringMatching(
        /^low-memory mode: the UNet ran its 2 rows one per call \(classifier-free guidance as separate unconditional and conditional calls\) and the VAE decoded 96×128 in tiles of 64 px \(as diffusers' enable_vae_tiling\) to fit the memory limit of [\d.]+ GiB: the normal mode needs an estimated [\d.]+ GiB, the low-memory mode [\d.]+ GiB$/
      )
    )
    expect(whole.bytes).toBeGreaterThan(between)
    await auto.release()

    const tight = await AutoPipelineForText2Image.fromPretrained(SD_DIR, {
      ...TEST_SESSION_OPTIONS,
      memoryLimitBytes: low.bytes - 1
    })
    tight.enableLowMemoryMode('auto')
    await expect(tight.call({ ...run, generator: new Generator().manualSeed(3) })).rejects.toThrow(
      /^96×128 is too large for memory: a run with 2 UNet rows needs an estimated [\d.]+ GiB \(.*\), over the limit of [\d.]+ GiB; even the low-memory mode \(one UNet row per call, the VAE decoded in tiles of 64 px\) needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\); choose a smaller width and height$/
    )
    await tight.release()
  })
})
