import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PreviewCallback, type PreviewFrame } from '../callbacks/preview-callback'
import { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import { Generator } from '../random/generator'
import type { RgbaImage } from './latents-to-rgb'

/**
 * Preview methods in real runs on the random-weight fixtures: the SD-shaped model and the
 * TAESD stand-in (fixtures/models/taesd-random, the Hub's `vae_decoder/model.onnx` layout).
 */
const FIXTURES = path.resolve(__dirname, '../../../fixtures/models')
const SD = path.join(FIXTURES, 'tiny-sd-random')
const TAESD = path.join(FIXTURES, 'taesd-random')
const settings = { executionProviders: ['cpu' as const], intraOpNumThreads: 1 }

let plain: StableDiffusionPipeline
let withTaesd: StableDiffusionPipeline
beforeAll(async () => {
  plain = await StableDiffusionPipeline.fromPretrained(SD, settings)
  withTaesd = await StableDiffusionPipeline.fromPretrained(SD, {
    ...settings,
    previewDecoder: TAESD
  })
})
afterAll(async () => {
  await plain.release()
  await withTaesd.release()
})

async function run(
  pipe: StableDiffusionPipeline,
  preview: Omit<ConstructorParameters<typeof PreviewCallback>[0], 'onPreview'>,
  steps = 4
): Promise<{ frames: PreviewFrame[]; image: RgbaImage }> {
  const frames: PreviewFrame[] = []
  const out = await pipe.call({
    prompt: 'a red circle on a blue background',
    numInferenceSteps: steps,
    generator: new Generator().manualSeed(3),
    callbackOnStepEnd: new PreviewCallback({ ...preview, onPreview: (f) => void frames.push(f) })
  })
  return { frames, image: out.images[0] as RgbaImage }
}

describe('preview methods', () => {
  it('defaults per model: tiny where a tiny decoder is present, else linear', async () => {
    expect(plain.previews.defaultMethod).toEqual({ name: 'linear' })
    expect(plain.previews.availableMethods).toEqual(['linear', 'vae'])
    expect(withTaesd.previews.defaultMethod).toEqual({ name: 'tiny' })
    expect(withTaesd.previews.availableMethods).toEqual(['linear', 'tiny', 'vae'])
    expect(withTaesd.previews.tinyDecoder?.label).toBe('taesd-random/vae_decoder/model.onnx')

    const { frames } = await run(withTaesd, {}, 2)
    // PNDM gives no x0: its latents are previewed. 8×8 latents → 64×64 pixels.
    expect(frames.map((f) => [f.stepIndex, f.method, f.width, f.height, f.data.length])).toEqual([
      [0, 'tiny', 64, 64, 64 * 64 * 4],
      [1, 'tiny', 64, 64, 64 * 64 * 4],
      [2, 'tiny', 64, 64, 64 * 64 * 4]
    ])
    for (const f of frames) expect(f.ms).toBeGreaterThan(0)
    const used = await withTaesd.usedProviders()
    expect(used.preview_decoder).toBe('cpu')
  })

  it('records linear frames at latent resolution', async () => {
    const { frames } = await run(plain, { method: 'linear' }, 2)
    expect(frames.map((f) => [f.method, f.width, f.height])).toEqual([
      ['linear', 8, 8],
      ['linear', 8, 8],
      ['linear', 8, 8]
    ])
  })

  it('vae:N decodes with the model’s VAE at 0, N, 2N, … and the last step — exactly the final decode — and linear between', async () => {
    // PNDM with 4 inference steps runs 5 timesteps (indices 0…4).
    const { frames, image } = await run(plain, { method: 'vae:3', source: 'latents' })
    expect(frames.map((f) => [f.stepIndex, f.method, f.width])).toEqual([
      [0, 'vae', 64],
      [1, 'linear', 8],
      [2, 'linear', 8],
      [3, 'vae', 64],
      [4, 'vae', 64]
    ])
    // The last step's latents are the ones the pipeline decodes: the same path, the same bytes.
    const last = frames[4] as PreviewFrame
    expect([last.width, last.height]).toEqual([image.width, image.height])
    expect(Buffer.from(last.data).equals(Buffer.from(image.data))).toBe(true)
  })

  it('switches tiny decoders at run time and releases their session with the pipeline', async () => {
    const pipe = await StableDiffusionPipeline.fromPretrained(SD, settings)
    try {
      expect(await pipe.previews.setTinyDecoder(path.join(TAESD, 'vae_decoder'))).toMatchObject({
        origin: 'external'
      })
      const first = await run(pipe, { method: 'tiny' }, 2)
      expect(first.frames.map((f) => f.method)).toEqual(['tiny', 'tiny', 'tiny'])
      await pipe.release()
      expect(await pipe.usedProviders()).toEqual({})
      // Created again on the next use, from the same file: the same pictures.
      const again = await run(pipe, { method: 'tiny' }, 2)
      expect(
        Buffer.from(again.frames[1]?.data ?? []).equals(Buffer.from(first.frames[1]?.data ?? [1]))
      ).toBe(true)
      await pipe.previews.setTinyDecoder(null)
      expect(pipe.previews.defaultMethod).toEqual({ name: 'linear' })
    } finally {
      await pipe.release()
    }
  })

  it('fails a tiny preview on a model without a tiny decoder, saying how to add one', async () => {
    await expect(run(plain, { method: 'tiny' }, 1)).rejects.toThrow(
      /the tiny preview needs a TAESD-class decoder and .*tiny-sd-random has none: add preview_decoder\/model.onnx to the model folder, or give a TAESD folder \(vae_decoder\/model.onnx\) as the preview decoder/
    )
  })

  it('refuses bad method strings before anything runs', () => {
    expect(() => new PreviewCallback({ method: 'fast', onPreview: () => undefined })).toThrow(
      'unknown preview method "fast": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
    )
    expect(() => new PreviewCallback({ method: 'vae:0', onPreview: () => undefined })).toThrow(
      'preview method "vae:0": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5), got "0"'
    )
  })

  it('refuses a preview decoder path without a decoder when the pipeline is opened', async () => {
    await expect(
      StableDiffusionPipeline.fromPretrained(SD, { ...settings, previewDecoder: FIXTURES })
    ).rejects.toThrow(`No preview decoder in ${FIXTURES}: expected vae_decoder/model.onnx`)
  })
})
