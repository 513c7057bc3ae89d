import path from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PreviewCallback, type PreviewFrame } from '../callbacks/preview-callback'
import { AutoPipelineForText2Image } from '../pipelines/auto-pipeline'
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from '../pipelines/stable-diffusion-xl-pipeline'
import { Generator } from '../random/generator'
import type { RgbaImage } from './latents-to-rgb'
import { readShapeColours as readColours } from '../../../testing/shape-colours'

/**
 * Previews of the shipped model (resources/models/stepwise-shapes-64) in real runs at its
 * defaults (DDIM, 25 steps, guidance 5, 64×64): its own tiny decoder, `preview_decoder/`, is the
 * default method and shows the prompt's colours long before the end.
 */
const MODEL_DIR = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

let pipe: StableDiffusionPipeline | StableDiffusionXLPipeline
beforeAll(async () => {
  pipe = await AutoPipelineForText2Image.fromPretrained(MODEL_DIR, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1
  })
})
afterAll(async () => {
  await pipe.release()
})

describe('the shipped model’s previews', () => {
  it('previews a green square on a white background green on white from the middle steps on (tiny, its default)', async () => {
    expect(pipe.previews.defaultMethod).toEqual({ name: 'tiny' })
    expect(pipe.previews.tinyDecoder?.label).toBe('preview_decoder/model.onnx')
    for (const seed of [0, 1, 2]) {
      const frames: PreviewFrame[] = []
      const out = await pipe.call({
        prompt: 'a green square on a white background',
        generator: new Generator().manualSeed(seed),
        callbackOnStepEnd: new PreviewCallback({ onPreview: (f) => void frames.push(f) })
      })
      expect(frames).toHaveLength(out.numTimesteps)
      expect(readColours(out.images[0] as RgbaImage)).toEqual({ fg: 'green', bg: 'white' })
      const middle = Math.floor(out.numTimesteps / 2)
      for (const f of frames.slice(middle)) {
        expect([f.method, f.source, f.width, f.height]).toEqual(['tiny', 'x0', 64, 64])
        expect({ step: f.stepIndex, ...readColours(f) }).toEqual({
          step: f.stepIndex,
          fg: 'green',
          bg: 'white'
        })
      }
    }
  })

  it('vae:N previews are the final decode path: the last step’s is the image, the others decode the step’s x0', async () => {
    const frames: PreviewFrame[] = []
    const x0s: Tensor[] = []
    const out = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 12,
      generator: new Generator().manualSeed(5),
      callbackOnStepEnd: new PreviewCallback({
        method: 'vae:5',
        onPreview: (f) => void frames.push(f)
      }),
      onStepEnd: (info) => void x0s.push(info.predOriginalSample as Tensor)
    })
    expect(frames.map((f) => f.method)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i % 5 === 0 || i === 11 ? 'vae' : 'linear'))
    )
    // A VAE step's preview is the VAE's picture of that step's x0 (render() is what the callback calls).
    for (const i of [0, 5, 10]) {
      const vae = await pipe.previews.render(x0s[i] as Tensor, 'vae')
      expect([vae.image.width, vae.image.height]).toEqual([64, 64])
      expect(Buffer.from(vae.image.data).equals(Buffer.from(frames[i]?.data ?? []))).toBe(true)
    }
    // With the latents as the source, the last step's preview is the output image, byte for byte.
    const last: PreviewFrame[] = []
    const again = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 12,
      generator: new Generator().manualSeed(5),
      callbackOnStepEnd: new PreviewCallback({
        method: 'vae:5',
        source: 'latents',
        every: 11,
        includeLastStep: true,
        onPreview: (f) => void last.push(f)
      })
    })
    const image = again.images[0] as RgbaImage
    expect(Buffer.from(image.data).equals(Buffer.from(out.images[0]?.data ?? []))).toBe(true)
    expect(last.at(-1)?.method).toBe('vae')
    expect(Buffer.from(last.at(-1)?.data ?? []).equals(Buffer.from(image.data))).toBe(true)
  })
})
