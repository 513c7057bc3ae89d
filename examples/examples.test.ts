import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Tensor } from 'onnxruntime-node'
import { Generator, randn, decodePng } from '../main/engine'
import { displayIntermediateImagesExample, latentsToRgbDocs } from './display-intermediate-images'
import { dynamicCfgExample } from './dynamic-cfg'
import { earlyStoppingExample } from './early-stopping'
import { officialCallbackExample } from './official-callback'

// Each example runs for real and is held to what the documentation claims: the SD 1.x ones on the
// shipped default model (trained weights, real pictures), the SDXL ones on the random-weight
// fixture (no SDXL model ships with the app).
const sdModel = resolve(__dirname, '../resources/models/stepwise-shapes-64')
const sdxlModel = resolve(__dirname, '../fixtures/models/tiny-sdxl-random')
// The shipped model's defaults are chosen after each training run, so they are read, not copied.
const sdDefaults = (
  JSON.parse(readFileSync(join(sdModel, 'stepwise.json'), 'utf8')) as {
    defaults: { num_inference_steps: number; scheduler: string; width: number; height: number }
  }
).defaults
const scratch = mkdtempSync(join(tmpdir(), 'stepwise-examples-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function outDir(name: string): string {
  return mkdtempSync(join(scratch, `${name}-`))
}

describe('examples from the diffusers callback documentation', () => {
  it('official callback: the 40% CFG cutoff halves the UNet batch from the step after int(0.4·T)', async () => {
    const dir = outDir('official')
    const out = await officialCallbackExample(sdxlModel, dir)
    expect(out.scheduler).toBe('DPMSolverMultistepScheduler')
    expect(out.numTimesteps).toBe(25)
    const cutoff = Math.trunc(0.4 * out.numTimesteps)
    expect(cutoff).toBe(10)
    expect(out.steps.map((s) => s.unetBatch)).toEqual(
      out.steps.map((s) => (s.index <= cutoff ? 2 : 1))
    )
    expect(out.steps.filter((s) => s.cfg)).toHaveLength(11)
    expect(out.guidanceScaleAfterRun).toBe(0)
    const png = decodePng(readFileSync(join(dir, 'official_callback.png')))
    expect([png.width, png.height]).toEqual([out.width, out.height])
  })

  it('early stopping: interrupting at index 10 runs 11 steps and still returns an image', async () => {
    const dir = outDir('early')
    const out = await earlyStoppingExample(sdModel, dir)
    expect(out.numInferenceSteps).toBe(50)
    // The example passes no size: the model's native 64×64 from its stepwise.json.
    expect([out.width, out.height]).toEqual([sdDefaults.width, sdDefaults.height])
    expect(out.interrupted).toBe(true)
    expect(out.stepsRun).toBe(11)
    expect(out.steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(out.images).toHaveLength(1)
    expect(out.images[0]?.data.length).toBe(out.width * out.height * 4)
    expect(decodePng(readFileSync(join(dir, 'early_stopping.png'))).width).toBe(out.width)
  })

  it('display intermediate images: decode_tensors writes one PNG per step at latent resolution', async () => {
    const dir = outDir('intermediate')
    const out = await displayIntermediateImagesExample(sdxlModel, dir)
    expect(out.stepsRun).toBe(out.numTimesteps)
    const expected = Array.from({ length: out.stepsRun }, (_, i) => `${i}.png`)
    expect(readdirSync(dir).sort()).toEqual(expected.sort())
    const last = decodePng(readFileSync(join(dir, `${out.stepsRun - 1}.png`)))
    expect([last.width, last.height]).toEqual([out.width / 8, out.height / 8])
    // Noise in, noise out, but not a blank picture: the map really ran on the latents.
    expect(new Set(last.data).size).toBeGreaterThan(8)
  })

  it('dynamic CFG (previous revision): keeping the second half of prompt_embeds at int(0.4·T) halves the batch', async () => {
    const dir = outDir('dynamic')
    const out = await dynamicCfgExample(sdModel, dir)
    // The example passes no step count or scheduler: the model's defaults, 25 DDIM steps today
    // (T = N for DDIM, where SD 1.5's PNDM runs N + 1 = 51), so int(0.4 · 25) = 10.
    expect(out.scheduler).toBe(sdDefaults.scheduler)
    expect(out.numInferenceSteps).toBe(sdDefaults.num_inference_steps)
    const cutoff = Math.trunc(0.4 * out.numTimesteps)
    expect(cutoff).toBeGreaterThan(0)
    expect(out.steps.map((s) => s.unetBatch)).toEqual(
      out.steps.map((s) => (s.index <= cutoff ? 2 : 1))
    )
    expect(decodePng(readFileSync(join(dir, 'out_custom_cfg.png'))).width).toBe(out.width)
  })

  it('latents_to_rgb is the docs’ formula: weights · latent + bias, clamped, truncated to bytes', () => {
    // The docs' numbers, one row per output colour, one column per latent channel.
    const weights = [
      [60, -60, 25, -70],
      [60, -5, 15, -50],
      [60, 10, -5, -35]
    ]
    const biases = [150, 140, 130]
    const [h, w] = [3, 5]
    const noise = randn([1, 4, h, w], { generator: new Generator().manualSeed(0) })
    const latents = new Tensor(
      'float32',
      (noise.data as Float32Array).map((v) => v * 2),
      [1, 4, h, w]
    )
    const image = latentsToRgbDocs(latents)
    const data = latents.data as Float32Array
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) {
        let v = biases[c] ?? 0
        for (let k = 0; k < 4; k++) v += (weights[c]?.[k] ?? 0) * (data[k * h * w + p] ?? 0)
        expect(image.data[p * 4 + c]).toBe(Math.trunc(Math.min(255, Math.max(0, v))))
      }
      expect(image.data[p * 4 + 3]).toBe(255)
    }
  })
})
