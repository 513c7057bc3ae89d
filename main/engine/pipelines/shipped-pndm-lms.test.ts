import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { createScheduler } from '../schedulers'
import type { SchedulerClassName } from '../../../shared/params'
import { StableDiffusionPipeline } from './stable-diffusion-pipeline'

/**
 * PNDM and LMS at 12 steps give noisy, wrong-coloured pictures on the shipped model. That is
 * what diffusers gives too: `fixtures/shipped-pndm-lms.json` holds diffusers' own final latents
 * (its schedulers swapped onto the model's DDIM config, the shipped ONNX graphs in Python's
 * onnxruntime: tools/check_schedulers.py --fixture), and the engine must land on the same ones.
 * docs/default-model.md has the scores per scheduler and step count, and what to use instead.
 */
const MODEL_DIR = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

interface FixtureCase {
  scheduler: SchedulerClassName
  steps: number
  useKarrasSigmas: boolean
  shape: number[]
  latents: number[]
}
const fixture = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'shipped-pndm-lms.json'), 'utf8')
) as {
  unetBytes: number
  prompt: string
  seed: number
  guidanceScale: number
  cases: FixtureCase[]
}

let pipe: StableDiffusionPipeline | null = null
/** The model's own scheduler config, before any case swapped the scheduler. */
let modelConfig: StableDiffusionPipeline['scheduler']['config'] | null = null
afterAll(async () => {
  await pipe?.release()
})

describe('PNDM and LMS on the shipped model do what diffusers does', () => {
  it('the fixture was made from this export of the model', () => {
    // A retrained model needs a new fixture: run tools/check_schedulers.py --fixture.
    expect(statSync(path.join(MODEL_DIR, 'unet', 'model.onnx')).size).toBe(fixture.unetBytes)
  })

  for (const c of fixture.cases) {
    const name = `${c.scheduler} at ${c.steps} steps${c.useKarrasSigmas ? ' with Karras sigmas' : ''}`
    it(`${name}: the same final latents as diffusers`, async () => {
      pipe ??= await StableDiffusionPipeline.fromPretrained(MODEL_DIR, {
        executionProviders: ['cpu']
      })
      modelConfig ??= pipe.scheduler.config
      pipe.scheduler = createScheduler(c.scheduler, {
        ...modelConfig,
        ...(c.useKarrasSigmas ? { use_karras_sigmas: true } : {})
      })
      const out = await pipe.call({
        prompt: fixture.prompt,
        numInferenceSteps: c.steps,
        guidanceScale: fixture.guidanceScale,
        generator: new Generator().manualSeed(fixture.seed),
        outputType: 'latent'
      })
      const latents = out.images
      expect([...latents.dims]).toEqual(c.shape)
      const data = latents.data as Float32Array
      let worst = 0
      c.latents.forEach((v, i) => (worst = Math.max(worst, Math.abs((data[i] as number) - v))))
      // float32 graphs in two runtimes: agreement to about 1e-4 of latents of magnitude ~1.
      expect(worst).toBeLessThan(2e-3)
    })
  }
})
