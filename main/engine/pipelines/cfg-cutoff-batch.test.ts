import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDCFGCutoffCallback, SDXLCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { Generator } from '../random/generator'
import { randn } from '../random/distributions'
import { DDIMScheduler } from '../schedulers'
import { sliceRows } from '../tensor/batch'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'
import { makeFixedBatchVariant } from '../testing/onnx-graph-variants'
import { openSd, openSdxl, relativeDiff, SD_DIR } from '../testing/pipeline-fixtures'

/**
 * CFG cutoff with more than one image, and with graphs whose batch size is fixed. The reference
 * for a batch is the same images generated one at a time from the same starting latents: row k
 * of a batched run must match the single run of prompt k.
 */
let sd: StableDiffusionPipeline
let sdxl: StableDiffusionXLPipeline
let tmp = ''
beforeAll(async () => {
  sd = await openSd()
  sd.scheduler = DDIMScheduler.fromConfig(sd.scheduler.config)
  sdxl = await openSdxl()
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-cutoff-'))
})
afterAll(async () => {
  await sd.release()
  await sdxl.release()
  await fs.rm(tmp, { recursive: true, force: true })
})

const prompts = ['a red circle on a blue background', 'a small green square on the left']
const TOL = 1e-5

describe('CFG cutoff with batch > 1', () => {
  it('SD: keeps the conditional half (rows B…2B−1), so every image matches its single run', async () => {
    const latents = randn([2, 4, 8, 8], { generator: new Generator().manualSeed(21) })
    const cutoff = (): SDCFGCutoffCallback =>
      new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 1 })
    const batched = await sd.call({
      prompt: prompts,
      negativePrompt: ['green', 'blue'],
      numInferenceSteps: 4,
      latents,
      outputType: 'latent',
      callbackOnStepEnd: cutoff()
    })
    expect(batched.steps.map((s) => s.unetBatch)).toEqual([4, 4, 2, 2])
    for (const k of [0, 1]) {
      const single = await sd.call({
        prompt: prompts[k] as string,
        negativePrompt: ['green', 'blue'][k] as string,
        numInferenceSteps: 4,
        latents: sliceRows(latents, k, k + 1),
        outputType: 'latent',
        callbackOnStepEnd: cutoff()
      })
      expect(single.steps.map((s) => s.unetBatch)).toEqual([2, 2, 1, 1])
      expect(relativeDiff(single.images, sliceRows(batched.images, k, k + 1))).toBeLessThan(TOL)
    }
  })

  it('SDXL: block-ordered add_time_ids keep negative micro-conditioning on the unconditional rows', async () => {
    const latents = randn([2, 4, 8, 8], { generator: new Generator().manualSeed(22) })
    const common = {
      numInferenceSteps: 3,
      outputType: 'latent' as const,
      negativeOriginalSize: [128, 128] as [number, number],
      negativeTargetSize: [32, 32] as [number, number]
    }
    const cutoff = (): SDXLCFGCutoffCallback =>
      new SDXLCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 1 })
    const batched = await sdxl.call({
      ...common,
      prompt: prompts,
      latents,
      callbackOnStepEnd: cutoff()
    })
    expect(batched.steps.map((s) => s.unetBatch)).toEqual([4, 4, 2])
    for (const k of [0, 1]) {
      const single = await sdxl.call({
        ...common,
        prompt: prompts[k] as string,
        latents: sliceRows(latents, k, k + 1),
        callbackOnStepEnd: cutoff()
      })
      expect(relativeDiff(single.images, sliceRows(batched.images, k, k + 1))).toBeLessThan(TOL)
    }
  })

  it('with CFG already off, the cutoff leaves the B-row tensors alone', async () => {
    const out = await sd.call({
      prompt: prompts,
      guidanceScale: 1,
      numInferenceSteps: 3,
      generator: new Generator().manualSeed(3),
      outputType: 'latent',
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: 0 })
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2])
  })
})

describe('graphs with a fixed batch size', () => {
  it('UNet fixed at 2: after the cutoff it still runs 2 rows, keeps the right one, and says so', async () => {
    const dir = path.join(tmp, 'unet-batch-2')
    await makeFixedBatchVariant(SD_DIR, dir, 'unet', ['sample', 'encoder_hidden_states'], 2)
    const fixed = await openSd(dir)
    fixed.scheduler = DDIMScheduler.fromConfig(fixed.scheduler.config)
    const options = {
      prompt: prompts[0] as string,
      numInferenceSteps: 4,
      outputType: 'latent' as const,
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 1 })
    }
    const dynamic = await sd.call({ ...options, generator: new Generator().manualSeed(4) })
    const out = await fixed.call({ ...options, generator: new Generator().manualSeed(4) })
    expect(relativeDiff(dynamic.images, out.images)).toBeLessThan(TOL)
    expect(out.steps.map((s) => [s.unetBatch, s.cfg])).toEqual([
      [2, true],
      [2, true],
      [2, false],
      [2, false]
    ])
    expect(out.unetBatchFallback).toBe(
      'unet/model.onnx has a fixed batch size of 2: a batch of 1 ran as 1 run(s) of 2 row(s)'
    )
    await fixed.release()
  })

  it('UNet and VAE decoder fixed at 1: CFG and two images run row by row, same result', async () => {
    const dir = path.join(tmp, 'batch-1')
    await makeFixedBatchVariant(SD_DIR, dir, 'unet', ['sample', 'encoder_hidden_states'], 1)
    await makeFixedBatchVariant(dir, `${dir}-vae`, 'vae_decoder', ['latent_sample'], 1)
    const fixed = await openSd(`${dir}-vae`)
    fixed.scheduler = DDIMScheduler.fromConfig(fixed.scheduler.config)
    const options = { prompt: prompts[1] as string, numInferenceSteps: 2, numImagesPerPrompt: 2 }
    const dynamic = await sd.call({ ...options, generator: new Generator().manualSeed(5) })
    const out = await fixed.call({ ...options, generator: new Generator().manualSeed(5) })
    expect(out.images).toHaveLength(2)
    out.images.forEach((img, k) => {
      const ref = dynamic.images[k]?.data as Uint8Array
      const maxDiff = img.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (ref[i] as number))), 0)
      expect(maxDiff).toBeLessThanOrEqual(1)
    })
    expect(out.steps.every((s) => s.unetBatch === 4)).toBe(true)
    expect(out.unetBatchFallback).toContain(
      'unet/model.onnx has a fixed batch size of 1: a batch of 4 ran as 4 run(s) of 1 row(s)'
    )
    expect(out.unetBatchFallback).toContain('vae_decoder/model.onnx has a fixed batch size of 1')
    await fixed.release()
  })
})
