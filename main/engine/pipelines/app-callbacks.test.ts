import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  LiveCfgCutoffCallback,
  type LiveCfgCutoffReport
} from '../callbacks/live-cfg-cutoff-callback'
import { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import { PreviewCallback, type PreviewFrame } from '../callbacks/preview-callback'
import { StopCallback } from '../callbacks/stop-callback'
import { latentsToRGB } from '../previews/latents-to-rgb'
import { SDXL_LATENT_RGB_FACTORS } from '../previews/latent-rgb-factors'
import { Generator } from '../random/generator'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'
import { openSd, openSdxl } from '../testing/pipeline-fixtures'

/** Stepwise's own callbacks (previews, stop, live CFG cutoff) in real runs. */
let sd: StableDiffusionPipeline
let sdxl: StableDiffusionXLPipeline
beforeAll(async () => {
  sd = await openSd()
  sdxl = await openSdxl()
})
afterAll(async () => {
  await sd.release()
  await sdxl.release()
})

const prompt = 'a red circle on a blue background'

describe('PreviewCallback', () => {
  it('previews the scheduler’s x0 every N steps and the last step, at latent resolution', async () => {
    const frames: PreviewFrame[] = []
    let x0AtStep2: PreviewFrame | null = null
    await sdxl.call({
      prompt,
      numInferenceSteps: 5,
      height: 64,
      width: 48,
      generator: new Generator().manualSeed(1),
      outputType: 'latent',
      callbackOnStepEnd: new PreviewCallback({ every: 2, onPreview: (f) => void frames.push(f) }),
      onStepEnd: (info) => {
        if (info.index === 2 && info.predOriginalSample !== null) {
          x0AtStep2 = {
            ...latentsToRGB(info.predOriginalSample, SDXL_LATENT_RGB_FACTORS),
            stepIndex: 2,
            timestep: info.timestep,
            source: 'x0',
            method: 'linear',
            ms: 0
          }
        }
      }
    })
    // The fixture has no tiny decoder: its default method is linear.
    expect(
      frames.map((f) => [f.stepIndex, f.source, f.method, f.width, f.height, f.data.length])
    ).toEqual([
      [0, 'x0', 'linear', 6, 8, 6 * 8 * 4],
      [2, 'x0', 'linear', 6, 8, 6 * 8 * 4],
      [4, 'x0', 'linear', 6, 8, 6 * 8 * 4]
    ])
    // The SDXL family table unless the model ships fitted factors.
    expect(
      Buffer.from(frames[1]?.data ?? []).equals(
        Buffer.from((x0AtStep2 as PreviewFrame | null)?.data ?? [1])
      )
    ).toBe(true)
  })

  it('falls back to the latents when the scheduler gives no x0 (PNDM), or when asked', async () => {
    const frames: PreviewFrame[] = []
    await sd.call({
      prompt,
      numInferenceSteps: 2,
      generator: new Generator().manualSeed(1),
      outputType: 'latent',
      callbackOnStepEnd: new PreviewCallback({ onPreview: async (f) => void frames.push(f) })
    })
    expect(frames.map((f) => [f.stepIndex, f.source])).toEqual([
      [0, 'latents'],
      [1, 'latents'],
      [2, 'latents']
    ])
    const forced: PreviewFrame[] = []
    await sdxl.call({
      prompt,
      numInferenceSteps: 1,
      generator: new Generator().manualSeed(1),
      outputType: 'latent',
      callbackOnStepEnd: new PreviewCallback({
        source: 'latents',
        onPreview: (f) => void forced.push(f)
      })
    })
    expect(forced.map((f) => f.source)).toEqual(['latents'])
  })
})

describe('StopCallback', () => {
  it('stops at the end of step K: K + 1 steps run and the image is still decoded', async () => {
    const out = await sd.call({
      prompt,
      numInferenceSteps: 6,
      generator: new Generator().manualSeed(2),
      callbackOnStepEnd: new StopCallback({ stopAtStepIndex: 2 })
    })
    expect([out.stepsRun, out.interrupted, out.numTimesteps]).toEqual([3, true, 7])
    expect(out.images).toHaveLength(1)
  })

  it('stop() from outside takes effect at the next step boundary', async () => {
    const stop = new StopCallback()
    const out = await sd.call({
      prompt,
      numInferenceSteps: 6,
      generator: new Generator().manualSeed(2),
      outputType: 'latent',
      callbackOnStepEnd: stop,
      onStepEnd: (info) => {
        // What the inference process does when a "stop" message arrives during step 1.
        if (info.index === 1) stop.stop()
      }
    })
    expect(stop.stopRequested).toBe(true)
    expect(out.stepsRun).toBe(2)
    expect(out.interrupted).toBe(true)
  })
})

describe('LiveCfgCutoffCallback', () => {
  it('accepts a new cutoff while the run has not reached it, then locks', async () => {
    const live = new LiveCfgCutoffCallback({ family: 'sdxl', cutoff: null })
    const reports: LiveCfgCutoffReport[] = []
    const out = await sdxl.call({
      prompt,
      numInferenceSteps: 5,
      generator: new Generator().manualSeed(3),
      outputType: 'latent',
      callbackOnStepEnd: new MultiPipelineCallbacks([live, new StopCallback()]),
      onStepEnd: (info) => {
        if (info.index === 0) reports.push(live.set({ ratio: 0.4 })) // int(5 · 0.4) = 2
        if (info.index === 3) reports.push(live.set({ stepIndex: 4 }))
      }
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1])
    expect(reports[0]).toEqual({ cutoff: { ratio: 0.4 }, cutoffStep: 2, locked: false })
    expect(reports[1]).toMatchObject({
      cutoff: { ratio: 0.4 },
      cutoffStep: 2,
      locked: true,
      refused: 'guidance already ended after step 2; the cutoff can no longer change'
    })
  })

  it('a cutoff moved to a step that already ran ends guidance at the next step', async () => {
    const live = new LiveCfgCutoffCallback({ family: 'sd', cutoff: { stepIndex: 5 } })
    let moved: LiveCfgCutoffReport | null = null
    const out = await sd.call({
      prompt: [prompt, 'a blue square'],
      numInferenceSteps: 5, // PNDM: T = 6
      generator: new Generator().manualSeed(4),
      outputType: 'latent',
      callbackOnStepEnd: live,
      onStepEnd: (info) => {
        if (info.index === 2) moved = live.set({ stepIndex: 1 })
      }
    })
    expect(moved).toEqual({ cutoff: { stepIndex: 1 }, cutoffStep: 3, locked: false })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([4, 4, 4, 4, 2, 2])
    expect(live.report()).toEqual({ cutoff: { stepIndex: 1 }, cutoffStep: 3, locked: true })
  })
})
