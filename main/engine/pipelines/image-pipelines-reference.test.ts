import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURE_MODELS } from '../../../testing/fixture-models'
import { SDCFGCutoffCallback, SDXLCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { decodePng } from '../output/png'
import { Generator } from '../random/generator'
import { createScheduler } from '../schedulers'
import type { SchedulerClassName } from '../../../shared/params'
import { relativeDiff, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'
import type { DiffusionPipeline } from './diffusion-pipeline'
import type { PipelineOutput, StepEndCallback } from './pipeline-types'
import {
  StableDiffusionImg2ImgPipeline,
  StableDiffusionInpaintPipeline
} from './stable-diffusion-image-pipelines'
import {
  StableDiffusionXLImg2ImgPipeline,
  StableDiffusionXLInpaintPipeline
} from './stable-diffusion-xl-image-pipelines'

/**
 * Agreement with diffusers' own image-to-image and inpainting pipelines:
 * `fixtures/image-pipeline-reference.json` holds the final latents of diffusers' `__call__`
 * (tools/reference/make_image_pipeline_reference.py) on the fixture models — SD and SDXL, both
 * UNet kinds (9-channel inpainting UNets and 4-channel latent blending), img2img strengths,
 * SDXL's denoisingStart / denoisingEnd and refiner aesthetic scores, CFG cutoffs that halve the
 * mask tensors. The same calls here must run the same timesteps with the same UNet batches and end
 * within 1e-5 (relative to the latents' scale) of diffusers' latents. The graphs run as exported
 * (no attention fusion at load): this measures the port against diffusers, while
 * attention-fusion-pipeline.test.ts measures the fused graphs against the exported ones.
 */
interface ReferenceCase {
  name: string
  pipeline: string
  model: string
  scheduler: SchedulerClassName
  schedulerOverrides: Record<string, unknown>
  seed: number
  prompt: string | string[]
  call: Record<string, unknown>
  callback: { kind: string; value: number } | null
  timesteps: number[]
  unetBatches: number[]
  numTimesteps: number
  shape: number[]
  latents: number[]
}

const FIXTURES = path.join(__dirname, 'fixtures')
const reference = JSON.parse(
  readFileSync(path.join(FIXTURES, 'image-pipeline-reference.json'), 'utf8')
) as { image: string; mask: string; cases: ReferenceCase[] }
const image = decodePng(readFileSync(path.join(FIXTURES, reference.image)))
const maskImage = decodePng(readFileSync(path.join(FIXTURES, reference.mask)))

const CAMEL: Record<string, string> = {
  prompt: 'prompt',
  prompt_2: 'prompt2',
  negative_prompt: 'negativePrompt',
  num_inference_steps: 'numInferenceSteps',
  num_images_per_prompt: 'numImagesPerPrompt',
  guidance_rescale: 'guidanceRescale',
  strength: 'strength',
  denoising_start: 'denoisingStart',
  denoising_end: 'denoisingEnd',
  aesthetic_score: 'aestheticScore',
  negative_aesthetic_score: 'negativeAestheticScore'
}

const OPTIONS = { ...TEST_SESSION_OPTIONS, fuseAttention: false }

const OPEN: Record<string, (dir: string) => Promise<DiffusionPipeline>> = {
  StableDiffusionImg2ImgPipeline: (d) => StableDiffusionImg2ImgPipeline.fromPretrained(d, OPTIONS),
  StableDiffusionInpaintPipeline: (d) => StableDiffusionInpaintPipeline.fromPretrained(d, OPTIONS),
  StableDiffusionXLImg2ImgPipeline: (d) =>
    StableDiffusionXLImg2ImgPipeline.fromPretrained(d, OPTIONS),
  StableDiffusionXLInpaintPipeline: (d) =>
    StableDiffusionXLInpaintPipeline.fromPretrained(d, OPTIONS)
}

function callbackFor(spec: ReferenceCase['callback']): StepEndCallback | null {
  if (spec === null) return null
  // The "+mask" reference callbacks halve the mask tensors too, which Stepwise's cutoff callbacks
  // always do on an inpainting pipeline.
  return spec.kind.startsWith('SDXL')
    ? new SDXLCFGCutoffCallback({ cutoffStepRatio: spec.value })
    : new SDCFGCutoffCallback({ cutoffStepRatio: spec.value })
}

const pipes: DiffusionPipeline[] = []
afterAll(async () => {
  for (const p of pipes) await p.release()
})

describe.each(reference.cases)('matches diffusers: $name', (c) => {
  it('same timesteps, UNet batches and final latents', async () => {
    const open = OPEN[c.pipeline]
    if (open === undefined) throw new Error(`no pipeline ${c.pipeline}`)
    const pipe = await open(path.join(FIXTURE_MODELS, c.model))
    pipes.push(pipe)
    pipe.scheduler = createScheduler(c.scheduler, pipe.folder.schedulerConfig, c.schedulerOverrides)
    const options: Record<string, unknown> = { prompt: c.prompt, image }
    if (c.pipeline.includes('Inpaint')) options.maskImage = maskImage
    for (const [key, value] of Object.entries(c.call)) {
      const name = CAMEL[key]
      if (name === undefined) throw new Error(`unmapped reference argument ${key}`)
      options[name] = value
    }
    const call = (pipe as unknown as { call(o: unknown): Promise<PipelineOutput<'latent'>> }).call
    const out = await call.call(pipe, {
      ...options,
      outputType: 'latent',
      generator: new Generator().manualSeed(c.seed),
      callbackOnStepEnd: callbackFor(c.callback)
    })
    expect(out.numTimesteps).toBe(c.numTimesteps)
    expect(out.steps.map((s) => Math.fround(s.timestep))).toEqual(
      c.timesteps.map((t) => Math.fround(t))
    )
    expect(out.steps.map((s) => s.unetBatch)).toEqual(c.unetBatches)
    const expected = new Tensor('float32', Float32Array.from(c.latents), c.shape)
    expect(out.images.dims).toEqual(c.shape)
    expect(relativeDiff(out.images, expected)).toBeLessThan(1e-5)
  })
})
