import type { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallbackKwargs, PipelineRunState } from '../callbacks/callback-types'
import { SDCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { CFGIntervalCallback } from '../callbacks/cfg-interval-callback'
import { LiveGuidanceCallback, type LiveGuidanceReport } from '../callbacks/live-guidance-callback'
import { randn } from '../random/distributions'
import { Generator } from '../random/generator'
import { DDIMScheduler } from '../schedulers'
import { sliceRows } from '../tensor/batch'
import { openSd, openSdxl, relativeDiff } from '../testing/pipeline-fixtures'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'

/**
 * Guidance only inside a window of the run (CFGIntervalCallback) and the app's live guidance
 * (LiveGuidanceCallback: cutoff, interval and scale, changeable while the run goes).
 */
let sd: StableDiffusionPipeline
let sdxl: StableDiffusionXLPipeline
beforeAll(async () => {
  sd = await openSd()
  sd.scheduler = DDIMScheduler.fromConfig(sd.folder.schedulerConfig)
  sdxl = await openSdxl()
})
afterAll(async () => {
  await sd.release()
  await sdxl.release()
})

const prompt = 'a red circle on a blue background'

function bytesOf(t: Tensor): Buffer {
  const d = t.data as Float32Array
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength)
}

describe('CFGIntervalCallback', () => {
  it('guides the steps start ≤ i < end at batch 2B and the others at B (ratios as int(T · r))', async () => {
    const out = await sd.call({
      prompt,
      numInferenceSteps: 10,
      generator: new Generator().manualSeed(1),
      outputType: 'latent',
      callbackOnStepEnd: new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.8 })
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
    expect(out.steps.map((s) => s.cfg)).toEqual(out.steps.map((s) => s.unetBatch === 2))
  })

  it('is the CFG cutoff with index c as the window [0, c + 1), bit for bit', async () => {
    const common = {
      prompt,
      numInferenceSteps: 6,
      outputType: 'latent' as const
    }
    const cutoff = await sd.call({
      ...common,
      generator: new Generator().manualSeed(2),
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 2 })
    })
    const window = await sd.call({
      ...common,
      generator: new Generator().manualSeed(2),
      callbackOnStepEnd: new CFGIntervalCallback({ startStepIndex: 0, endStepIndex: 3 })
    })
    expect(window.steps.map((s) => s.unetBatch)).toEqual(cutoff.steps.map((s) => s.unetBatch))
    expect(bytesOf(window.images).equals(bytesOf(cutoff.images))).toBe(true)
  })

  it('restores the unconditional rows in block order: every image of a batch matches its single run', async () => {
    const latents = randn([2, 4, 8, 8], { generator: new Generator().manualSeed(21) })
    const prompts = [prompt, 'a small green square on the left']
    const negatives = ['green', 'blue']
    const interval = (): CFGIntervalCallback =>
      new CFGIntervalCallback({ startStepIndex: 1, endStepIndex: 3 })
    const batched = await sd.call({
      prompt: prompts,
      negativePrompt: negatives,
      numInferenceSteps: 5,
      latents,
      outputType: 'latent',
      callbackOnStepEnd: interval()
    })
    expect(batched.steps.map((s) => s.unetBatch)).toEqual([2, 4, 4, 2, 2])
    for (const k of [0, 1]) {
      const single = await sd.call({
        prompt: prompts[k] as string,
        negativePrompt: negatives[k] as string,
        numInferenceSteps: 5,
        latents: sliceRows(latents, k, k + 1),
        outputType: 'latent',
        callbackOnStepEnd: interval()
      })
      expect(relativeDiff(single.images, sliceRows(batched.images, k, k + 1))).toBeLessThan(1e-5)
    }
  })

  it('SDXL: restores prompt embeds, pooled embeds and time ids (negative micro-conditioning included)', async () => {
    const latents = randn([2, 4, 8, 8], { generator: new Generator().manualSeed(22) })
    const prompts = [prompt, 'a small green square on the left']
    const common = {
      numInferenceSteps: 4,
      outputType: 'latent' as const,
      negativeOriginalSize: [128, 128] as [number, number],
      negativeTargetSize: [32, 32] as [number, number]
    }
    const interval = (): CFGIntervalCallback =>
      new CFGIntervalCallback({ startStepIndex: 1, endStepIndex: 3, family: 'sdxl' })
    const batched = await sdxl.call({
      ...common,
      prompt: prompts,
      latents,
      callbackOnStepEnd: interval()
    })
    expect(batched.steps.map((s) => s.unetBatch)).toEqual([2, 4, 4, 2])
    for (const k of [0, 1]) {
      const single = await sdxl.call({
        ...common,
        prompt: prompts[k] as string,
        latents: sliceRows(latents, k, k + 1),
        callbackOnStepEnd: interval()
      })
      expect(relativeDiff(single.images, sliceRows(batched.images, k, k + 1))).toBeLessThan(1e-5)
    }
  })

  it('validates like the cutoff callbacks and names the family it was made for', async () => {
    const make = (o: ConstructorParameters<typeof CFGIntervalCallback>[0]) => () =>
      new CFGIntervalCallback(o)
    expect(make({ startStepRatio: 0.8, endStepRatio: 0.2 })).toThrow(
      'start_step_ratio must be below end_step_ratio (got 0.8 and 0.2)'
    )
    expect(make({ startStepRatio: 0.5, endStepRatio: 0.5 })).toThrow(
      'start_step_ratio must be below end_step_ratio'
    )
    expect(make({ startStepRatio: -0.1 })).toThrow(
      'start_step_ratio must be a float between 0.0 and 1.0.'
    )
    expect(make({ endStepRatio: 1.5 })).toThrow(
      'end_step_ratio must be a float between 0.0 and 1.0.'
    )
    expect(make({ startStepRatio: 0.2, endStepIndex: 8 })).toThrow(
      'Either start_step_ratio/end_step_ratio or start_step_index/end_step_index should be provided, not both.'
    )
    expect(make({ startStepIndex: 4, endStepIndex: 4 })).toThrow(
      'start_step_index must be below end_step_index (got 4 and 4)'
    )
    expect(make({ startStepIndex: 1.5 })).toThrow(
      'start_step_index must be a non-negative integer step index, got 1.5'
    )
    expect(new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.8 }).interval).toEqual({
      start_step_ratio: 0.2,
      end_step_ratio: 0.8,
      start_step_index: null,
      end_step_index: null
    })
    await expect(
      sdxl.call({
        prompt,
        numInferenceSteps: 2,
        outputType: 'latent',
        callbackOnStepEnd: new CFGIntervalCallback({ startStepRatio: 0.5 })
      })
    ).rejects.toThrow(
      "CFGIntervalCallback was made for 'sd' pipelines but runs on a 'sdxl' one; pass family: 'sdxl'"
    )
  })
})

describe('LiveGuidanceCallback', () => {
  it('a new guidance scale applies from the next decision and is recorded per step, as dynamic CFG', async () => {
    const live = new LiveGuidanceCallback({ family: 'sd' })
    let report: LiveGuidanceReport | null = null
    const changed = await sd.call({
      prompt,
      numInferenceSteps: 5,
      guidanceScale: 6,
      generator: new Generator().manualSeed(4),
      outputType: 'latent',
      callbackOnStepEnd: live,
      onStepEnd: (info) => {
        if (info.index === 0) report = live.setGuidanceScale(9)
      }
    })
    expect(report).toMatchObject({ guidanceScale: 9, locked: false, startLocked: true })
    expect(changed.steps.map((s) => s.guidanceScale)).toEqual([6, 6, 9, 9, 9])
    const dynamic = await sd.call({
      prompt,
      numInferenceSteps: 5,
      guidanceScale: 6,
      generator: new Generator().manualSeed(4),
      outputType: 'latent',
      callbackOnStepEnd: (p: PipelineRunState, i: number, _t: number, kw: CallbackKwargs) => {
        if (i === 1) p._guidanceScale = 9
        return kw
      }
    })
    expect(bytesOf(changed.images).equals(bytesOf(dynamic.images))).toBe(true)
  })

  it('moves the interval while the run goes, locks each bound once its step is decided', async () => {
    const live = new LiveGuidanceCallback({
      family: 'sd',
      interval: { startStepIndex: 2, endStepIndex: 6 }
    })
    const reports: LiveGuidanceReport[] = []
    const out = await sd.call({
      prompt,
      numInferenceSteps: 8,
      generator: new Generator().manualSeed(5),
      outputType: 'latent',
      callbackOnStepEnd: live,
      onStepEnd: (info) => {
        if (info.index === 0) reports.push(live.setInterval({ startStepIndex: 3, endStepIndex: 6 }))
        if (info.index === 3) {
          reports.push(live.setInterval({ startStepIndex: 1, endStepIndex: 6 }))
          reports.push(live.setInterval({ startStepIndex: 3, endStepIndex: 5 }))
        }
        if (info.index === 5) reports.push(live.setCutoff({ stepIndex: 7 }))
      }
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([1, 1, 1, 2, 2, 1, 1, 1])
    expect(reports[0]).toMatchObject({ startStep: 3, cutoffStep: 5, startLocked: false })
    expect(reports[1]).toMatchObject({
      refused: 'guidance already started at step 3; the start of the interval can no longer change',
      startLocked: true
    })
    expect(reports[2]).toMatchObject({ startStep: 3, cutoffStep: 4, locked: false })
    expect(reports[3]).toMatchObject({
      refused: 'guidance already ended after step 4; the cutoff can no longer change',
      locked: true
    })
  })

  it('refuses a live scale for a run without unconditional rows, and invalid scales', async () => {
    const live = new LiveGuidanceCallback({ family: 'sd' })
    let report: LiveGuidanceReport | null = null
    await sd.call({
      prompt,
      numInferenceSteps: 3,
      guidanceScale: 1,
      outputType: 'latent',
      callbackOnStepEnd: live,
      onStepEnd: (info) => {
        if (info.index === 0) report = live.setGuidanceScale(7)
      }
    })
    expect(report).toMatchObject({
      refused:
        'this run has no unconditional embeddings (it started with guidance 1 or less), so its guidance scale cannot change'
    })
    expect(() => live.setGuidanceScale(1)).toThrow(
      'a live guidance scale must be a finite number above 1 (got 1)'
    )
    expect(() => live.setInterval({ startRatio: 0.8, endRatio: 0.2 })).toThrow(
      "the interval's start (0.8) must be below its end (0.2)"
    )
  })
})
