import { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { DDIMScheduler } from '../schedulers'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'
import { openSd, openSdxl, relativeDiff } from '../testing/pipeline-fixtures'
import { imagesToRgba } from './vae-decode'

/**
 * What a diffusers user reaches for besides `__call__`: `encode_prompt` (to make `prompt_embeds`
 * once and reuse or edit them) and the pipeline's components (`pipe.tokenizer`,
 * `pipe.text_encoder`, `pipe.unet.config`, `pipe.vae`), here in camelCase.
 */

let sd: StableDiffusionPipeline
let sdxl: StableDiffusionXLPipeline
beforeAll(async () => {
  sd = await openSd()
  sd.scheduler = DDIMScheduler.fromConfig(sd.scheduler.config)
  sdxl = await openSdxl()
})
afterAll(async () => {
  await sd.release()
  await sdxl.release()
})

const seeded = (): Generator => new Generator().manualSeed(3)
const prompt = 'a red circle on a blue background'

describe('encodePrompt', () => {
  it('SD: gives what the call encodes, so promptEmbeds reproduce the prompt’s run exactly', async () => {
    const { promptEmbeds, negativePromptEmbeds } = await sd.encodePrompt({
      prompt,
      negativePrompt: 'green'
    })
    expect(promptEmbeds.dims).toEqual([1, 77, 32])
    expect(negativePromptEmbeds?.dims).toEqual([1, 77, 32])
    const common = { numInferenceSteps: 3, outputType: 'latent' as const }
    const fromText = await sd.call({
      ...common,
      prompt,
      negativePrompt: 'green',
      generator: seeded()
    })
    const fromEmbeds = await sd.call({
      ...common,
      promptEmbeds,
      negativePromptEmbeds,
      generator: seeded()
    })
    expect(relativeDiff(fromText.images, fromEmbeds.images)).toBe(0)
  })

  it('SD: repeats rows per image, and gives no negative branch without guidance', async () => {
    const out = await sd.encodePrompt({
      prompt: ['a', 'b'],
      numImagesPerPrompt: 2,
      doClassifierFreeGuidance: false
    })
    expect(out.promptEmbeds.dims).toEqual([4, 77, 32])
    expect(out.negativePromptEmbeds).toBeNull()
    await expect(sd.encodePrompt({})).rejects.toThrow(
      'pass a prompt or promptEmbeds (neither was given)'
    )
  })

  it('SDXL: returns the four tensors of diffusers’ encode_prompt, which reproduce the run', async () => {
    const encoded = await sdxl.encodePrompt({ prompt, negativePrompt: 'green' })
    expect(encoded.promptEmbeds.dims).toEqual([1, 77, 96])
    expect(encoded.negativePromptEmbeds?.dims).toEqual([1, 77, 96])
    expect(encoded.pooledPromptEmbeds.dims).toEqual([1, 32])
    expect(encoded.negativePooledPromptEmbeds?.dims).toEqual([1, 32])
    const common = { numInferenceSteps: 2, outputType: 'latent' as const }
    const fromText = await sdxl.call({
      ...common,
      prompt,
      negativePrompt: 'green',
      generator: seeded()
    })
    const fromEmbeds = await sdxl.call({
      ...common,
      promptEmbeds: encoded.promptEmbeds,
      negativePromptEmbeds: encoded.negativePromptEmbeds,
      pooledPromptEmbeds: encoded.pooledPromptEmbeds,
      negativePooledPromptEmbeds: encoded.negativePooledPromptEmbeds,
      generator: seeded()
    })
    expect(relativeDiff(fromText.images, fromEmbeds.images)).toBe(0)
  })

  it('cleans prompt text as fromPretrained or the call says (textFixing)', async () => {
    // A ligature and curly quotes: ftfy (diffusers' default tokenizer) folds them, the fast
    // tokenizer does not.
    const text = '“ﬁne” red circle'
    const ftfy = await sd.encodePrompt({ prompt: text, doClassifierFreeGuidance: false })
    const none = await sd.encodePrompt({
      prompt: text,
      doClassifierFreeGuidance: false,
      textFixing: 'none'
    })
    const plain = await sd.encodePrompt({
      prompt: '"fine" red circle',
      doClassifierFreeGuidance: false
    })
    expect(relativeDiff(ftfy.promptEmbeds, plain.promptEmbeds)).toBe(0)
    expect(relativeDiff(none.promptEmbeds, plain.promptEmbeds)).toBeGreaterThan(1e-4)
    const fast = await openSd(undefined, { textFixing: 'none' })
    expect(fast.tokenizer.textFixing).toBe('none')
    const fromFast = await fast.encodePrompt({ prompt: text, doClassifierFreeGuidance: false })
    expect(relativeDiff(fromFast.promptEmbeds, none.promptEmbeds)).toBe(0)
    await fast.release()
  })
})

describe('components on the pipeline', () => {
  it('has the tokenizer at once and runs the text encoder as the pipeline does', async () => {
    expect(sd.tokenizer.modelMaxLength).toBe(77)
    const { ids } = sd.tokenizer.encodeBatch([prompt])
    const inputIds = new Tensor('int32', Int32Array.from(ids[0] as number[]), [1, 77])
    const out = await sd.textEncoder.run({ input_ids: inputIds }, ['last_hidden_state'])
    const { promptEmbeds } = await sd.encodePrompt({ prompt, doClassifierFreeGuidance: false })
    expect(relativeDiff(out.last_hidden_state as Tensor, promptEmbeds)).toBe(0)
    expect(sd.textEncoder.config.hidden_size).toBe(32)
    expect(sdxl.tokenizer?.modelMaxLength).toBe(77)
    expect(sdxl.tokenizer2.padToken).toBe('!')
    expect(sdxl.textEncoder2.name).toBe('text_encoder_2')
  })

  it('exposes the UNet config and the VAE, whose decode is the call’s last step', async () => {
    expect(sd.unet.config.in_channels).toBe(4)
    expect((await sd.unet.load()).inputNames).toContain('encoder_hidden_states')
    expect(sd.vae.config.scaling_factor).toBe(sd.vae.scalingFactor)
    const common = { prompt, numInferenceSteps: 2 }
    const latent = await sd.call({ ...common, generator: seeded(), outputType: 'latent' })
    const image = await sd.call({ ...common, generator: seeded() })
    const decoded = await sd.decodeLatents(latent.images)
    expect(decoded[0]?.data).toEqual(image.images[0]?.data)
    // vae.decode is diffusers' `vae.decode(latents / scaling_factor).sample`.
    const z = latent.images.data as Float32Array
    const unscaled = new Tensor(
      'float32',
      z.map((v) => v / Math.fround(sd.vae.scalingFactor)),
      latent.images.dims
    )
    expect(imagesToRgba(await sd.vae.decode(unscaled))[0]?.data).toEqual(image.images[0]?.data)
  })

  it('types the pipeline a plain callback receives, so pipeline.scheduler compiles', async () => {
    const seen: string[] = []
    await sd.call({
      prompt,
      numInferenceSteps: 2,
      outputType: 'latent',
      callbackOnStepEndTensorInputs: ['latents', 'prompt_embeds'],
      callbackOnStepEnd: (pipeline, _i, _t, kwargs) => {
        seen.push(pipeline.scheduler.className, pipeline.unet.name)
        expect(kwargs.prompt_embeds?.dims).toEqual([2, 77, 32])
        return kwargs
      }
    })
    expect(seen).toEqual(['DDIMScheduler', 'unet', 'DDIMScheduler', 'unet'])
    const typo = async (): Promise<unknown> =>
      sd.call({
        prompt,
        // @ts-expect-error a misspelt tensor name does not compile
        callbackOnStepEndTensorInputs: ['prompt_embed'],
        callbackOnStepEnd: (_p, _i, _t, kwargs) => kwargs
      })
    await expect(typo()).rejects.toThrow('but it has "prompt_embed"')
  })
})
