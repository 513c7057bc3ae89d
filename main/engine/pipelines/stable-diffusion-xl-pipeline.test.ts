import type { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { zerosLike } from '../tensor/float-tensor'
import type {
  StableDiffusionXLCallOptions,
  StableDiffusionXLPipeline
} from './stable-diffusion-xl-pipeline'
import type { PipelineOutput } from './pipeline-types'
import { openSdxl, relativeDiff, values } from '../testing/pipeline-fixtures'

let pipe: StableDiffusionXLPipeline
beforeAll(async () => {
  pipe = await openSdxl()
})
afterAll(async () => {
  await pipe.release()
})

const run = (
  extra: StableDiffusionXLCallOptions<'latent'> = {}
): Promise<PipelineOutput<'latent'>> =>
  pipe.call({
    prompt: 'a red circle on a blue background',
    numInferenceSteps: 3,
    generator: new Generator().manualSeed(11),
    outputType: 'latent',
    ...extra
  })

describe('StableDiffusionXLPipeline', () => {
  it('runs end to end with diffusers’ SDXL defaults (Euler, guidance 5.0) and decodes RGBA', async () => {
    const out = await pipe.call({
      prompt: 'a red circle',
      numInferenceSteps: 2,
      generator: new Generator().manualSeed(1)
    })
    expect(out.images[0]?.data).toHaveLength(64 * 64 * 4)
    expect(out).toMatchObject({
      scheduler: 'EulerDiscreteScheduler',
      guidanceScale: 5,
      numTimesteps: 2,
      warnings: []
    })
    expect(pipe.defaults.guidanceScale).toBe(5)
  })

  it('hands callbacks SDXL’s conditioning: concatenated prompt_embeds, pooled add_text_embeds, add_time_ids', async () => {
    let seen: Record<string, number[]> = {}
    let timeIds: number[] = []
    await run({
      height: 64,
      width: 48,
      numInferenceSteps: 1,
      callbackOnStepEndTensorInputs: [
        'latents',
        'prompt_embeds',
        'add_text_embeds',
        'add_time_ids'
      ],
      callbackOnStepEnd: (_p, _i, _t, kw) => {
        seen = Object.fromEntries(Object.entries(kw).map(([k, v]) => [k, [...(v as Tensor).dims]]))
        timeIds = values(kw.add_time_ids as Tensor)
        return kw
      }
    })
    expect(seen).toEqual({
      latents: [1, 4, 8, 6],
      prompt_embeds: [2, 77, 96], // 32 + 64: both encoders' penultimate hidden states
      add_text_embeds: [2, 32],
      add_time_ids: [2, 6]
    })
    expect(timeIds).toEqual([64, 48, 0, 0, 64, 48, 64, 48, 0, 0, 64, 48])
  })

  it('micro-conditioning changes the output (original size, crop, target size)', async () => {
    const plain = await run()
    for (const extra of [
      { originalSize: [128, 128] as [number, number] },
      { cropsCoordsTopLeft: [16, 0] as [number, number] },
      { targetSize: [32, 32] as [number, number] }
    ]) {
      const changed = await run(extra)
      expect(relativeDiff(plain.images, changed.images), JSON.stringify(extra)).toBeGreaterThan(
        1e-4
      )
    }
    // Negative micro-conditioning applies only when both negative sizes are given (diffusers).
    const loneNegative = await run({ negativeOriginalSize: [128, 128] })
    expect(relativeDiff(plain.images, loneNegative.images)).toBe(0)
    const negative = await run({ negativeOriginalSize: [128, 128], negativeTargetSize: [32, 32] })
    expect(relativeDiff(plain.images, negative.images)).toBeGreaterThan(1e-4)
  })

  it('text_embeds reach the UNet: zeroing add_text_embeds after step 0 changes the result', async () => {
    const plain = await run()
    const zeroed = await run({
      callbackOnStepEndTensorInputs: ['add_text_embeds'],
      callbackOnStepEnd: (_p, i, _t, kw) => {
        if (i === 0) kw.add_text_embeds = zerosLike(kw.add_text_embeds as Tensor)
        return kw
      }
    })
    expect(relativeDiff(plain.images, zeroed.images)).toBeGreaterThan(1e-4)
  })

  it('uses zeros for an absent negative prompt (force_zeros_for_empty_prompt) but encodes ""', async () => {
    let negativeRow: number[] = []
    const grab = {
      callbackOnStepEndTensorInputs: ['add_text_embeds'] as const,
      callbackOnStepEnd: (
        _p: unknown,
        i: number,
        _t: number,
        kw: Record<string, Tensor | null>
      ) => {
        if (i === 0) negativeRow = values(kw.add_text_embeds as Tensor).slice(0, 32)
        return kw
      }
    }
    const absent = await run({ ...grab, numInferenceSteps: 1 })
    expect(negativeRow.every((v) => v === 0)).toBe(true)
    const empty = await run({ ...grab, numInferenceSteps: 1, negativePrompt: '' })
    expect(negativeRow.some((v) => v !== 0)).toBe(true)
    expect(relativeDiff(absent.images, empty.images)).toBeGreaterThan(1e-4)
  })

  it('prompt2 goes to the second encoder only', async () => {
    const same = await run({ prompt2: 'a red circle on a blue background' })
    const plain = await run()
    const other = await run({ prompt2: 'a green square' })
    expect(relativeDiff(plain.images, same.images)).toBe(0)
    expect(relativeDiff(plain.images, other.images)).toBeGreaterThan(1e-4)
  })

  it('clipSkip reads an earlier hidden state', async () => {
    const plain = await run()
    const skipped = await run({ clipSkip: 1 })
    expect(relativeDiff(plain.images, skipped.images)).toBeGreaterThan(1e-4)
    await expect(run({ clipSkip: 5 })).rejects.toThrow(
      /clipSkip 5 reaches past the first layer of text_encoder\/model.onnx/
    )
  })

  it('denoisingEnd stops at that fraction of the schedule', async () => {
    const out = await run({ numInferenceSteps: 10, denoisingEnd: 0.5 })
    // Euler "leading", 10 steps: 901 … 1; keep t >= round(1000 − 500) = 500 → 901…501: 5 steps.
    expect(out.steps.map((s) => s.timestep)).toEqual([901, 801, 701, 601, 501])
    expect([out.numTimesteps, out.numInferenceSteps]).toEqual([5, 5])
  })

  it('validates SDXL inputs as diffusers does, in the library’s own names', async () => {
    await expect(
      run({ promptEmbeds: zerosLike(await firstEmbeds()), prompt: null })
    ).rejects.toThrow(
      'promptEmbeds needs pooledPromptEmbeds too, from the same text encoder (encodePrompt returns both)'
    )
    // SD's tensor name does not compile for SDXL; a JavaScript caller gets the message.
    const sdName = 'negative_prompt_embeds' as 'latents'
    await expect(
      run({
        callbackOnStepEndTensorInputs: [sdName],
        callbackOnStepEnd: (_p, _i, _t, kw) => kw
      })
    ).rejects.toThrow(
      'callbackOnStepEndTensorInputs may only name latents, prompt_embeds, add_text_embeds and add_time_ids for StableDiffusionXLPipeline, but it has "negative_prompt_embeds"'
    )
  })
})

async function firstEmbeds(): Promise<Tensor> {
  let embeds: Tensor | null = null
  await run({
    numInferenceSteps: 1,
    guidanceScale: 1,
    callbackOnStepEndTensorInputs: ['prompt_embeds'],
    callbackOnStepEnd: (_p, _i, _t, kw) => {
      embeds = kw.prompt_embeds ?? null
      return kw
    }
  })
  return embeds as unknown as Tensor
}
