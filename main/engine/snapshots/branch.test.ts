import { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallbackKwargs, PipelineRunState } from '../callbacks/callback-types'
import { SDCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { CFGIntervalCallback } from '../callbacks/cfg-interval-callback'
import { keepConditionalHalf, restoreGuidance } from '../callbacks/keep-conditional-half'
import type { PipelineOutput } from '../pipelines/pipeline-types'
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from '../pipelines/stable-diffusion-xl-pipeline'
import { Generator } from '../random/generator'
import { EulerAncestralDiscreteScheduler } from '../schedulers'
import { openSd, openSdxl, SD_DIR } from '../testing/pipeline-fixtures'
import { RunSnapshotError, type RunSnapshot } from './run-snapshot'
import path from 'node:path'

/**
 * Branching: continuing from a step's snapshot with another prompt, guidance scale or guidance
 * window gives exactly the run that switched at that step (built here with plain diffusers-style
 * callbacks); and everything a continued run keeps is refused when a call asks to change it.
 */
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

const P1 = 'a red circle on a blue background'
const P2 = 'a green triangle on a white background'
const K = 2

function useEulerA(): void {
  sd.scheduler = EulerAncestralDiscreteScheduler.fromConfig(sd.folder.schedulerConfig)
}

async function run(
  options: Parameters<StableDiffusionPipeline['call']>[0]
): Promise<PipelineOutput<'latent'>> {
  useEulerA()
  return sd.call({
    numInferenceSteps: 5,
    guidanceScale: 6,
    negativePrompt: 'blurry',
    generator: new Generator().manualSeed(11),
    ...options,
    outputType: 'latent'
  }) as Promise<PipelineOutput<'latent'>>
}

function same(a: Tensor, b: Tensor): boolean {
  const x = a.data as Float32Array
  const y = b.data as Float32Array
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
    Buffer.from(y.buffer, y.byteOffset, y.byteLength)
  )
}

async function snapshotAt(options: Parameters<typeof run>[0], k = K): Promise<RunSnapshot> {
  let snap: RunSnapshot | null = null
  await run({
    ...options,
    onStepEnd: (info) => {
      if (info.index === k) snap = info.snapshot()
    }
  })
  if (snap === null) throw new Error('no snapshot')
  return snap
}

describe('branching from step k', () => {
  it('with another prompt equals the run whose prompt embeddings switched at the end of step k', async () => {
    const parent = await snapshotAt({ prompt: P1 })
    const p2 = await snapshotAt({ prompt: P2 }, 0)
    const p2Embeds = p2.tensors.prompt_embeds as NonNullable<RunSnapshot['tensors']['latents']>
    const switched = await run({
      prompt: P1,
      callbackOnStepEnd: (_p: PipelineRunState, i: number, _t: number, kw: CallbackKwargs) =>
        i === K ? { prompt_embeds: new Tensor('float32', p2Embeds.data, p2Embeds.dims) } : kw,
      callbackOnStepEndTensorInputs: ['prompt_embeds']
    })
    const branch = await sd.call({ resumeFrom: parent, prompt: P2, outputType: 'latent' })
    expect(same(branch.images, switched.images)).toBe(true)
    const continued = await sd.call({ resumeFrom: parent, outputType: 'latent' })
    expect(same(continued.images, branch.images)).toBe(false)
    expect(branch.snapshot?.params.prompt).toBe(P2)
  })

  it('with another guidance scale equals diffusers’ dynamic CFG switching at step k', async () => {
    const parent = await snapshotAt({ prompt: P1 })
    const switched = await run({
      prompt: P1,
      callbackOnStepEnd: (p: PipelineRunState, i: number, _t: number, kw: CallbackKwargs) => {
        if (i === K) p._guidanceScale = 9
        return kw
      }
    })
    const branch = await sd.call({ resumeFrom: parent, guidanceScale: 9, outputType: 'latent' })
    expect(same(branch.images, switched.images)).toBe(true)
    expect(branch.steps.map((s) => s.guidanceScale)).toEqual([9, 9])
  })

  it('with a later end of guidance brings guidance back after a cutoff ended it', async () => {
    const parent = await snapshotAt({
      prompt: P1,
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 1 })
    })
    expect(parent.guidance.cfg).toBe(false)
    expect(parent.guidance.keptAside).not.toBeNull()
    // The same run written out: off after step 1, on again for step 3, off after it.
    const reference = await run({
      prompt: P1,
      callbackOnStepEnd: (p: PipelineRunState, i: number, _t: number, kw: CallbackKwargs) => {
        if (i === 1 || i === 3) keepConditionalHalf(p, kw, ['prompt_embeds'])
        if (i === 2) restoreGuidance(p, kw)
        return kw
      },
      callbackOnStepEndTensorInputs: ['prompt_embeds']
    })
    expect(reference.steps.map((s) => s.unetBatch)).toEqual([2, 2, 1, 2, 1])
    const branch = await sd.call({
      resumeFrom: parent,
      outputType: 'latent',
      callbackOnStepEnd: new CFGIntervalCallback({ startStepIndex: 0, endStepIndex: 4 })
    })
    expect(branch.steps.map((s) => s.unetBatch)).toEqual([2, 1])
    expect(same(branch.images, reference.images)).toBe(true)
  })

  it('keeps guidance off with the new prompt’s rows kept aside when it was off at step k', async () => {
    const parent = await snapshotAt({
      prompt: P1,
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 0 })
    })
    const branch = await sd.call({ resumeFrom: parent, prompt: P2, outputType: 'latent' })
    expect(branch.steps.map((s) => s.unetBatch)).toEqual([1, 1])
    expect(branch.snapshot?.guidance.keptAside?.tensors.prompt_embeds?.dims[0]).toBe(1)
  })

  it('SDXL: continuing with nothing changed equals the run never stopped', async () => {
    let snap: RunSnapshot | null = null
    const whole = await sdxl.call({
      prompt: [P1, P2],
      numInferenceSteps: 4,
      generator: new Generator().manualSeed(5),
      outputType: 'latent',
      callbackOnStepEnd: new CFGIntervalCallback({
        startStepRatio: 0.25,
        endStepRatio: 0.75,
        family: 'sdxl'
      }),
      onStepEnd: (info) => {
        if (info.index === 0) snap = info.snapshot()
      }
    })
    expect(whole.steps.map((s) => s.unetBatch)).toEqual([2, 4, 4, 2])
    const rest = await sdxl.call({
      resumeFrom: snap,
      outputType: 'latent',
      callbackOnStepEnd: new CFGIntervalCallback({
        startStepRatio: 0.25,
        endStepRatio: 0.75,
        family: 'sdxl'
      })
    })
    expect(same(rest.images, whole.images)).toBe(true)
  })
})

describe('what a continued run keeps', () => {
  it('refuses another size, step count, starting latents or generator, saying what stays', async () => {
    const snap = await snapshotAt({ prompt: P1 })
    const refuse = async (options: object, message: string): Promise<void> => {
      const attempt = sd.call({ resumeFrom: snap, outputType: 'latent', ...options })
      await expect(attempt).rejects.toThrow(RunSnapshotError)
      await expect(sd.call({ resumeFrom: snap, outputType: 'latent', ...options })).rejects.toThrow(
        message
      )
    }
    await refuse(
      { height: 128 },
      'resumeFrom: a continued run keeps its height (64); the call asks for 128. Size, steps, scheduler and model stay the same'
    )
    await refuse({ numInferenceSteps: 8 }, 'keeps its numInferenceSteps (5); the call asks for 8')
    await refuse({ numImagesPerPrompt: 2 }, 'keeps its numImagesPerPrompt (1)')
    await refuse({ eta: 0.5 }, 'keeps its eta (0)')
    await refuse({ generator: new Generator() }, 'do not pass generator when continuing a run')
    await refuse(
      { prompt: [P1, P2] },
      "the snapshot's run makes 1 image(s) at once, the new prompts 2"
    )
    // Nothing was lost: the snapshot and the pipeline still continue the run.
    const rest = await sd.call({ resumeFrom: snap, outputType: 'latent' })
    expect(rest.stepsRun).toBe(5)
  })

  it('refuses a snapshot of another model or family', async () => {
    const snap = await snapshotAt({ prompt: P1 })
    const fp16 = await openSd(path.join(path.dirname(SD_DIR), 'tiny-sd-fp16'))
    try {
      await expect(fp16.call({ resumeFrom: snap, outputType: 'latent' })).rejects.toThrow(
        /^the snapshot belongs to model "tiny-sd-random" \(fingerprint [0-9a-f]{12}\), not to "tiny-sd-fp16" \(fingerprint [0-9a-f]{12}\); a run continues only on the model that started it$/
      )
    } finally {
      await fp16.release()
    }
    await expect(sdxl.call({ resumeFrom: snap, outputType: 'latent' })).rejects.toThrow(
      'the snapshot is of an SD run (model "tiny-sd-random"), but this is an SDXL pipeline (model "tiny-sdxl-random")'
    )
  })
})
