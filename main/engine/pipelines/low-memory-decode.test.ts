import { describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { SD_DIR, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'
import { AutoPipelineForText2Image } from './auto-pipeline'

/**
 * The low-memory decode on the shipped fixture (its VAE tiles 64 px): with `enableVaeTiling('auto')`,
 * chosen by itself when a
 * whole decode would not fit the memory limit and a tiled one would, said in the warnings, and
 * the same image diffusers' enable_vae_tiling gives (vae-tiling.test.ts checks the tiles against
 * diffusers' own tiled_decode).
 */

const run = {
  prompt: 'a red circle',
  numInferenceSteps: 2,
  width: 96,
  height: 128
}
const shape = { width: 96, height: 128, unetRows: 2, images: 1 }

describe('the VAE decoded in tiles to fit memory', () => {
  it('tiles on its own between the two estimates, as enableVaeTiling does, and refuses below', async () => {
    const probe = await AutoPipelineForText2Image.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    const whole = await probe.estimateMemory(shape)
    const tiled = await probe.estimateMemory(shape, 64)
    expect(tiled.vaeBytes).toBeLessThan(whole.vaeBytes)
    const limit = Math.round((whole.bytes + tiled.bytes) / 2)

    const auto = await AutoPipelineForText2Image.fromPretrained(SD_DIR, {
      ...TEST_SESSION_OPTIONS,
      memoryLimitBytes: limit
    })
    auto.enableVaeTiling('auto')
    const a = await auto.call({ ...run, generator: new Generator().manualSeed(3) })
    expect([a.images[0]?.width, a.images[0]?.height]).toEqual([96, 128])
    expect(a.warnings).toContainEqual(
      expect.stringMatching(
        /^the VAE decoded 96×128 in tiles of 64 px \(as diffusers' enable_vae_tiling\) to fit the memory limit of [\d.]+ GiB: a whole decode needs an estimated [\d.]+ GiB, tiled [\d.]+ GiB$/
      )
    )

    probe.enableVaeTiling()
    const on = await probe.call({ ...run, generator: new Generator().manualSeed(3) })
    expect(Buffer.from(on.images[0]?.data ?? []).equals(Buffer.from(a.images[0]?.data ?? []))).toBe(
      true
    )
    // Asked for, tiling is no news: no warning.
    expect(on.warnings.some((w) => w.includes('in tiles'))).toBe(false)
    probe.disableVaeTiling()
    const off = await probe.call({ ...run, generator: new Generator().manualSeed(3) })
    expect(
      Buffer.from(off.images[0]?.data ?? []).equals(Buffer.from(a.images[0]?.data ?? []))
    ).toBe(false)

    auto.disableVaeTiling()
    await expect(auto.call({ ...run, generator: new Generator().manualSeed(3) })).rejects.toThrow(
      /^96×128 is too large for memory: a run with 2 UNet rows needs an estimated/
    )
    const tight = await AutoPipelineForText2Image.fromPretrained(SD_DIR, {
      ...TEST_SESSION_OPTIONS,
      memoryLimitBytes: tiled.bytes - 1
    })
    tight.enableVaeTiling('auto')
    await expect(tight.call({ ...run, generator: new Generator().manualSeed(3) })).rejects.toThrow(
      /^96×128 is too large for memory/
    )
    await Promise.all([probe.release(), auto.release(), tight.release()])
  })

  it('decodeLatents tiles as the call does when tiling or the low-memory mode is always on', async () => {
    const pipe = await AutoPipelineForText2Image.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    const same = (a: { data: Uint8Array } | undefined, b: { data: Uint8Array } | undefined) =>
      Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))
    const latent = await pipe.call({
      ...run,
      outputType: 'latent',
      generator: new Generator().manualSeed(4)
    })
    pipe.enableVaeTiling()
    const tiledCall = await pipe.call({ ...run, generator: new Generator().manualSeed(4) })
    const tiled = await pipe.decodeLatents(latent.images)
    expect(same(tiled[0], tiledCall.images[0])).toBe(true)
    pipe.disableVaeTiling()
    pipe.enableLowMemoryMode()
    expect(same((await pipe.decodeLatents(latent.images))[0], tiledCall.images[0])).toBe(true)
    pipe.disableLowMemoryMode()
    // Whole, as before: not the tiled pixels.
    const whole = await pipe.decodeLatents(latent.images)
    expect([whole[0]?.width, whole[0]?.height]).toEqual([96, 128])
    expect(same(whole[0], tiledCall.images[0])).toBe(false)
    // In 'auto' the call chooses per run; outside a call the decode is whole.
    pipe.enableVaeTiling('auto')
    expect(same((await pipe.decodeLatents(latent.images))[0], whole[0])).toBe(true)
    await pipe.release()
  })
})
