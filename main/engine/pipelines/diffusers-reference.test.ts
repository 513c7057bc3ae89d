import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { SDCFGCutoffCallback, SDXLCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { Generator } from '../random/generator'
import { createScheduler } from '../schedulers'
import type { SchedulerClassName } from '../../../shared/params'
import type { DiffusionPipeline } from './diffusion-pipeline'
import type { SDXLCallOptions, StepEndCallback } from './pipeline-types'
import { openSd, openSdxl, relativeDiff } from '../testing/pipeline-fixtures'

/**
 * End-to-end agreement with diffusers: `fixtures/diffusers-reference.json` holds the final latents
 * of diffusers' own `__call__` (its pipeline, callback and scheduler modules, run by
 * `fixtures/make_diffusers_reference.py`) on the PyTorch modules the fixture graphs were exported
 * from. The same calls here, through onnxruntime, must give the same UNet batches per step and the
 * same latents up to the graphs' float32 export tolerance.
 */
interface ReferenceCase {
  name: string
  scheduler: SchedulerClassName
  schedulerOverrides: Record<string, unknown>
  seed: number
  call: Record<string, unknown>
  callback: { kind: string; value: number } | null
  timesteps: number[]
  unetBatches: number[]
  numTimesteps: number
  finalGuidanceScale: number
  shape: number[]
  latents: number[]
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'diffusers-reference.json'), 'utf8')
) as { cases: ReferenceCase[] }

const CAMEL: Record<string, string> = {
  prompt: 'prompt',
  prompt_2: 'prompt2',
  negative_prompt: 'negativePrompt',
  num_inference_steps: 'numInferenceSteps',
  num_images_per_prompt: 'numImagesPerPrompt',
  guidance_scale: 'guidanceScale',
  guidance_rescale: 'guidanceRescale',
  height: 'height',
  width: 'width',
  output_type: 'outputType',
  original_size: 'originalSize',
  crops_coords_top_left: 'cropsCoordsTopLeft'
}

function callbackFor(spec: ReferenceCase['callback']): StepEndCallback | null {
  if (spec === null) return null
  if (spec.kind === 'interrupt') {
    return (p, i, _t, kw) => {
      if (i === spec.value) p._interrupt = true
      return kw
    }
  }
  if (spec.kind === 'SDCFGCutoffCallback')
    return new SDCFGCutoffCallback({ cutoffStepRatio: spec.value })
  return new SDXLCFGCutoffCallback({ cutoffStepRatio: spec.value })
}

const pipes: DiffusionPipeline[] = []
afterAll(async () => {
  for (const p of pipes) await p.release()
})

describe.each(reference.cases)('matches diffusers: $name', (c) => {
  it('same UNet batches, timesteps and final latents', async () => {
    const sdxl = c.name.startsWith('sdxl')
    const pipe = sdxl ? await openSdxl() : await openSd()
    pipes.push(pipe)
    pipe.scheduler = createScheduler(c.scheduler, pipe.folder.schedulerConfig, c.schedulerOverrides)
    const options: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(c.call)) {
      const name = CAMEL[key]
      if (name === undefined) throw new Error(`unmapped reference argument ${key}`)
      options[name] = value
    }
    const out = await (pipe.call as (o: SDXLCallOptions<'latent'>) => ReturnType<typeof pipe.call>)(
      {
        ...(options as SDXLCallOptions<'latent'>),
        outputType: 'latent',
        generator: new Generator().manualSeed(c.seed),
        callbackOnStepEnd: callbackFor(c.callback)
      }
    )
    expect(out.steps.map((s) => s.unetBatch)).toEqual(c.unetBatches)
    expect(out.numTimesteps).toBe(c.numTimesteps)
    expect(pipe.guidanceScale).toBe(c.finalGuidanceScale)
    expect(out.steps.map((s) => Math.fround(s.timestep))).toEqual(
      c.timesteps.slice(0, out.stepsRun).map((t) => Math.fround(t))
    )
    const expected = new Tensor('float32', Float32Array.from(c.latents), c.shape)
    expect(relativeDiff(out.images as Tensor, expected)).toBeLessThan(2e-5)
  })
})
