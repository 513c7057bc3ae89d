import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AutoPipelineForText2Image, Generator } from '../index'
import type { RgbaImage } from '../previews'
import { TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'

/**
 * The two other exporters' conventions, as real model folders: optimum's fp16 export
 * (`tiny-sd-fp16`: float16 graphs, int64 ids, a float16 scalar timestep) and diffusers' legacy
 * ONNX layout (`tiny-sd-legacy`: no component configs, unet/weights.pb, a float [batch]
 * timestep). Both are the same weights as `tiny-sd-random`, so they must open, generate on the
 * CPU provider, and give the fp32 model's image: within float16 rounding for fp16, exactly for
 * the legacy layout.
 */
const FIXTURES = path.resolve(__dirname, '../../../fixtures/models')
const pipes: { release(): Promise<void> }[] = []
afterAll(async () => {
  for (const p of pipes) await p.release()
})

/** Generates with a fixture (by name) or a model folder (by path). */
async function generate(
  dirOrName: string
): Promise<{ image: RgbaImage; provider: string; warnings: string[] }> {
  const pipe = await AutoPipelineForText2Image.fromPretrained(
    path.resolve(FIXTURES, dirOrName),
    TEST_SESSION_OPTIONS
  )
  pipes.push(pipe)
  const out = await pipe.call({
    prompt: 'a red circle on a blue background',
    negativePrompt: 'green',
    numInferenceSteps: 3,
    guidanceScale: 7.5,
    width: 64,
    height: 64,
    generator: new Generator().manualSeed(11)
  })
  return { image: out.images[0] as RgbaImage, provider: out.provider, warnings: out.warnings }
}

function pixelDiff(a: RgbaImage, b: RgbaImage): { max: number; mean: number } {
  let max = 0
  let sum = 0
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number))
    max = Math.max(max, d)
    sum += d
  }
  return { max, mean: sum / a.data.length }
}

describe('exporter variants of the same model', () => {
  it('fp16 (optimum --dtype fp16) generates on CPU, close to the fp32 image', async () => {
    const fp32 = await generate('tiny-sd-random')
    const fp16 = await generate('tiny-sd-fp16')
    expect(fp16.provider).toBe('cpu')
    expect([fp16.image.width, fp16.image.height]).toEqual([64, 64])
    const d = pixelDiff(fp16.image, fp32.image)
    // Measured: max 1 level, mean 0.025 (of 255) after 3 PNDM steps with guidance.
    expect(d.mean).toBeLessThan(0.5)
    expect(d.max).toBeLessThanOrEqual(4)
    expect(d.max).toBeGreaterThan(0) // float16 rounding is real: this is not the fp32 graph
  })

  it('the legacy diffusers layout gives exactly the optimum layout’s image', async () => {
    const optimum = await generate('tiny-sd-random')
    const legacy = await generate('tiny-sd-legacy')
    expect(legacy.provider).toBe('cpu')
    expect(Buffer.from(legacy.image.data).equals(Buffer.from(optimum.image.data))).toBe(true)
    // That layout never writes a VAE config: SD's 0.18215 is right, and no warning says otherwise.
    expect(legacy.warnings.filter((w) => w.includes('scaling_factor'))).toEqual([])
  })
})

describe('force_upcast with a float16 VAE decoder', () => {
  it('decodes with a float32 copy of the graph, as diffusers upcasts the VAE, without a warning', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-upcast-'))
    await fs.cp(path.join(FIXTURES, 'tiny-sd-fp16'), dir, { recursive: true })
    const config = path.join(dir, 'vae_decoder', 'config.json')
    const vae = JSON.parse(await fs.readFile(config, 'utf8')) as Record<string, unknown>
    await fs.writeFile(config, JSON.stringify({ ...vae, force_upcast: true }))
    const fp32 = await generate('tiny-sd-random')
    const plain = await generate('tiny-sd-fp16')
    const upcast = await generate(dir)
    // The engine warns whenever it decodes a force_upcast VAE in float16; here it does not.
    expect(upcast.warnings.filter((w) => w.includes('force_upcast'))).toEqual([])
    // Same fp16 UNet; only the decoding differs, now in float32: no further from fp32's image.
    expect(pixelDiff(upcast.image, fp32.image).mean).toBeLessThanOrEqual(
      pixelDiff(plain.image, fp32.image).mean
    )
    await fs.rm(dir, { recursive: true, force: true })
  })
})
