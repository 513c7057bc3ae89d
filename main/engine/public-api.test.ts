import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import * as engine from './index'
import {
  AutoPipelineForText2Image,
  DPMSolverMultistepScheduler,
  Generator,
  SDXLCFGCutoffCallback,
  decodePng,
  encodePng,
  saveImage
} from './index'

const FIXTURES = path.resolve(__dirname, '../../fixtures/models')

describe('main/engine public API', () => {
  it('exports the names other code relies on', () => {
    const names: (keyof typeof engine)[] = [
      'AutoPipelineForText2Image',
      'StableDiffusionPipeline',
      'StableDiffusionXLPipeline',
      'DPMSolverMultistepScheduler',
      'EulerDiscreteScheduler',
      'EulerAncestralDiscreteScheduler',
      'DDIMScheduler',
      'PNDMScheduler',
      'LMSDiscreteScheduler',
      'LCMScheduler',
      'PipelineCallback',
      'MultiPipelineCallbacks',
      'SDCFGCutoffCallback',
      'SDXLCFGCutoffCallback',
      'SD3CFGCutoffCallback',
      'Generator',
      'randn',
      'rand',
      'latentsToRGB',
      // What issue 17 found missing from the index: saving images, tensor helpers, Hub ids.
      'randnTensor',
      'saveImage',
      'encodePng',
      'decodePng',
      'chunk',
      'cat',
      'narrow',
      'slice',
      'index',
      'Tensor',
      'snapshotDownload',
      'downloadModel',
      'HubError',
      'PipelineComponent',
      'UniPCMultistepScheduler',
      'TCDScheduler',
      'parsePreviewMethod',
      'formatPreviewMethod',
      'PreviewRenderer',
      'resolvePreviewDecoder'
    ]
    for (const name of names) expect(typeof engine[name], name).toBe('function')
  })

  it('saves an image as PNG with its text chunks (diffusers’ image.save)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stepwise-save-'))
    const image = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]) }
    const file = path.join(dir, 'nested', 'out.png')
    await saveImage(image, file, { text: { parameters: 'a red circle' } })
    const back = decodePng(await readFile(file))
    expect([back.width, back.height, [...back.data]]).toEqual([2, 1, [...image.data]])
    expect(back.text.parameters).toBe('a red circle')
    expect(encodePng(image, { parameters: 'a red circle' })).toEqual(await readFile(file))
    await expect(saveImage(undefined, file)).rejects.toThrow(/no image to save/)
    await rm(dir, { recursive: true, force: true })
  })

  it('runs the documented example: SDXL, DPM-Solver++ with Karras sigmas, CFG cutoff at 40%', async () => {
    const pipe = await AutoPipelineForText2Image.fromPretrained(
      path.join(FIXTURES, 'tiny-sdxl-random'),
      {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1
      }
    )
    pipe.scheduler = DPMSolverMultistepScheduler.fromConfig(pipe.scheduler.config, {
      use_karras_sigmas: true
    })
    const out = await pipe.call({
      prompt: 'a sports car at the road, best quality, high quality, high detail, 8k resolution',
      negativePrompt: '',
      guidanceScale: 6.5,
      numInferenceSteps: 5,
      generator: new Generator().manualSeed(2628670641),
      callbackOnStepEnd: new SDXLCFGCutoffCallback({ cutoffStepRatio: 0.4 })
    })
    // int(5 · 0.4) = 2: steps 0…2 with CFG (2 rows), 3…4 without (1 row).
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1])
    expect(out.scheduler).toBe('DPMSolverMultistepScheduler')
    expect(out.images).toHaveLength(1)
    expect(pipe.guidanceScale).toBe(0)
    await pipe.release()
  })
})
