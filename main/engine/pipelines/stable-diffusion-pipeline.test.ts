import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { randn } from '../random/distributions'
import { DDIMScheduler, EulerDiscreteScheduler } from '../schedulers'
import { sliceRows } from '../tensor/batch'
import { AutoPipelineForText2Image } from './auto-pipeline'
import { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'
import { makeLegacyOnnxLayout } from '../testing/onnx-graph-variants'
import {
  openSd,
  relativeDiff,
  SD_DIR,
  SDXL_DIR,
  TEST_SESSION_OPTIONS,
  values
} from '../testing/pipeline-fixtures'

const SHIPPED_MODEL = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

let pipe: StableDiffusionPipeline
let tmp = ''
beforeAll(async () => {
  pipe = await openSd()
  pipe.scheduler = DDIMScheduler.fromConfig(pipe.scheduler.config)
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-sd-'))
})
afterAll(async () => {
  await pipe.release()
  await fs.rm(tmp, { recursive: true, force: true })
})

const base = { prompt: 'a red circle on a blue background', numInferenceSteps: 3 }

describe('AutoPipelineForText2Image', () => {
  it('picks the pipeline class from model_index.json', async () => {
    const sd = await AutoPipelineForText2Image.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    const xl = await AutoPipelineForText2Image.fromPretrained(SDXL_DIR, TEST_SESSION_OPTIONS)
    expect(sd).toBeInstanceOf(StableDiffusionPipeline)
    expect(xl).toBeInstanceOf(StableDiffusionXLPipeline)
    expect(sd.scheduler.className).toBe('PNDMScheduler')
    expect(xl.scheduler.className).toBe('EulerDiscreteScheduler')
    await expect(StableDiffusionPipeline.fromPretrained(SDXL_DIR)).rejects.toThrow(
      /names StableDiffusionXLPipeline; open it with StableDiffusionXLPipeline or AutoPipelineForText2Image/
    )
    await sd.release()
    await xl.release()
  })
})

describe('StableDiffusionPipeline', () => {
  it('makes RGBA images at the default size (sample_size × 8) and reports the run', async () => {
    const out = await pipe.call({ ...base, generator: new Generator().manualSeed(42) })
    expect(out.images).toHaveLength(1)
    const img = out.images[0]
    expect([img?.width, img?.height, img?.data.length]).toEqual([64, 64, 64 * 64 * 4])
    expect(img?.data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true)
    expect(out).toMatchObject({
      width: 64,
      height: 64,
      scheduler: 'DDIMScheduler',
      numInferenceSteps: 3,
      numTimesteps: 3,
      stepsRun: 3,
      interrupted: false,
      guidanceScale: 7.5,
      provider: 'cpu',
      unetBatchFallback: null,
      nsfwContentDetected: null,
      warnings: []
    })
    expect(out.providers).toEqual({ text_encoder: 'cpu', unet: 'cpu', vae_decoder: 'cpu' })
    expect(out.steps.map((s) => s.index)).toEqual([0, 1, 2])
    expect(out.steps.every((s) => s.unetMs > 0 && s.ms >= s.unetMs)).toBe(true)
    expect(out.unetMs).toBeCloseTo(
      out.steps.reduce((a, s) => a + s.unetMs, 0),
      6
    )
  })

  it('gives the same image for the same seed, and a different one for another seed', async () => {
    const a = await pipe.call({ ...base, generator: new Generator().manualSeed(7) })
    const b = await pipe.call({ ...base, generator: new Generator().manualSeed(7) })
    const c = await pipe.call({ ...base, generator: new Generator().manualSeed(8) })
    expect(Buffer.from(a.images[0]?.data ?? []).equals(Buffer.from(b.images[0]?.data ?? []))).toBe(
      true
    )
    expect(Buffer.from(a.images[0]?.data ?? []).equals(Buffer.from(c.images[0]?.data ?? []))).toBe(
      false
    )
  })

  it('draws the initial latents as torch.randn of the whole batch shape, then × init_noise_sigma', async () => {
    // Euler's init_noise_sigma is not 1 here, so a missing or doubled scaling would show.
    const euler = await openSd()
    euler.scheduler = EulerDiscreteScheduler.fromConfig(euler.scheduler.config)
    const run = {
      ...base,
      numInferenceSteps: 2,
      numImagesPerPrompt: 2,
      outputType: 'latent' as const
    }
    const seeded = await euler.call({ ...run, generator: new Generator().manualSeed(3) })
    const noise = randn([2, 4, 8, 8], { generator: new Generator().manualSeed(3) })
    const given = await euler.call({ ...run, latents: noise })
    expect(euler.scheduler.initNoiseSigma).toBeGreaterThan(1.5)
    expect(relativeDiff(seeded.images, given.images)).toBe(0)
    await euler.release()
  })

  it('accepts a list of prompts and several images per prompt', async () => {
    const out = await pipe.call({
      prompt: ['a red circle', 'a blue square'],
      negativePrompt: ['', 'green'],
      numImagesPerPrompt: 2,
      numInferenceSteps: 2,
      generator: new Generator().manualSeed(1),
      outputType: 'latent'
    })
    expect(out.images.dims).toEqual([4, 4, 8, 8])
    expect(out.steps.every((s) => s.unetBatch === 8)).toBe(true)
  })

  it('accepts one generator per image, and says so for a wrong count', async () => {
    const gens = [new Generator().manualSeed(1), new Generator().manualSeed(2)]
    const out = await pipe.call({
      ...base,
      numImagesPerPrompt: 2,
      generator: gens,
      outputType: 'latent'
    })
    const single = await pipe.call({
      ...base,
      generator: new Generator().manualSeed(2),
      outputType: 'latent'
    })
    // Image 1 of the batch was drawn from generator 2 alone: it matches a single run seeded 2.
    expect(relativeDiff(single.images, sliceRows(out.images, 1))).toBeLessThan(1e-5)
    await expect(
      pipe.call({ ...base, generator: [new Generator()], numImagesPerPrompt: 2 })
    ).rejects.toThrow(
      'generator is a list of 1 generator, but the call makes 2 images (prompts × numImagesPerPrompt); give one generator per image, or a single one'
    )
  })

  it('applies guidance rescale only when asked', async () => {
    const plain = await pipe.call({
      ...base,
      generator: new Generator().manualSeed(5),
      outputType: 'latent'
    })
    const rescaled = await pipe.call({
      ...base,
      guidanceRescale: 0.7,
      generator: new Generator().manualSeed(5),
      outputType: 'latent'
    })
    expect(relativeDiff(plain.images, rescaled.images)).toBeGreaterThan(1e-4)
    expect(pipe.guidanceRescale).toBe(0.7)
  })

  it('validates inputs as diffusers does, in the library’s own names', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { height: 63, width: 64 },
        'height must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 63; try 48 or 64)'
      ],
      [
        {
          callbackOnStepEndTensorInputs: ['latents', 'foo'],
          callbackOnStepEnd: (_p: unknown, _i: number, _t: number, kw: unknown) => kw
        },
        'callbackOnStepEndTensorInputs may only name latents, prompt_embeds and negative_prompt_embeds for StableDiffusionPipeline, but it has "foo"'
      ],
      [{ prompt: undefined }, 'pass a prompt or promptEmbeds (neither was given)'],
      [{ prompt: 42 }, 'prompt must be a string or a list of strings, but is a number (42)'],
      [
        { prompt: ['a', 7] },
        'prompt must be a string or a list of strings, but prompt[1] is a number (7)'
      ],
      [
        { promptEmbeds: randn([1, 77, 32]) },
        'pass either prompt or promptEmbeds, not both (got prompt "a red circle on a blue background" and promptEmbeds a Tensor of shape [1, 77, 32])'
      ],
      [{ numInferenceSteps: 0 }, 'numInferenceSteps must be a positive integer, but is 0'],
      [{ numInferenceSteps: '5' }, 'numInferenceSteps must be a positive integer, but is "5"'],
      [{ guidanceScale: Number.NaN }, 'guidanceScale must be a finite number, but is NaN'],
      [{ outputType: 'pil' }, 'outputType must be "image" or "latent", but is "pil"'],
      [
        { clipSkip: 1 },
        'clipSkip is not supported by StableDiffusionPipeline with ONNX text encoders'
      ],
      [
        { latents: randn([1, 4, 4, 4]) },
        'latents must have the shape [1, 4, 8, 8] (images × channels × height/8 × width/8 for this call), but have [1, 4, 4, 4]'
      ],
      [
        { callbackOnStepEnd: 'x' },
        'callbackOnStepEnd must be a function, a PipelineCallback or a MultiPipelineCallbacks'
      ],
      [{ textFixing: 'nfkc' }, 'textFixing must be "ftfy", "clip", "none", but is "nfkc"']
    ]
    for (const [extra, message] of cases) {
      const error = await pipe.call({ ...base, ...extra } as never).then(
        () => null,
        (e: unknown) => e as Error
      )
      expect(error?.message, JSON.stringify(Object.keys(extra))).toContain(message)
      // No Python in a TypeScript library's messages: no <class 'int'>, None, or snake_case options.
      expect(error?.message).not.toMatch(/<class|\bNone\b|`|prompt_embeds`|_tensor_inputs/)
    }
    await expect(pipe.call({ prompt: 'a', negativePrompt: ['x'] })).rejects.toThrow(
      'negativePrompt must be the same kind as prompt (a string for a string, a list for a list), but prompt is a string and negativePrompt is a list'
    )
    await expect(pipe.call({ prompt: ['a', 'b'], negativePrompt: ['x'] })).rejects.toThrow(
      'negativePrompt has 1 prompt but there are 2 prompts; give one negative prompt per prompt'
    )
  })

  it('refuses a size the UNet cannot halve before onnxruntime does (72 px on the shipped model)', async () => {
    const shipped = await StableDiffusionPipeline.fromPretrained(
      SHIPPED_MODEL,
      TEST_SESSION_OPTIONS
    )
    const phases: string[] = []
    await expect(
      shipped.call({ prompt: 'a red circle', width: 72, onPhase: (p) => phases.push(p) })
    ).rejects.toThrow(
      'width must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 72; try 64 or 80)'
    )
    expect(phases).toEqual([]) // refused before any graph was loaded
    const ok = await shipped.call({
      prompt: 'a red circle',
      width: 80,
      height: 48,
      numInferenceSteps: 1,
      outputType: 'latent'
    })
    expect(ok.images.dims).toEqual([1, 4, 6, 10])
    await shipped.release()
  })

  it('refuses latents written back by a callback with another shape', async () => {
    const error = await pipe
      .call({
        ...base,
        numInferenceSteps: 3,
        outputType: 'latent',
        callbackOnStepEnd: (_p, i, _t, kw) =>
          i === 1 ? { ...kw, latents: randn([1, 4, 16, 16]) } : kw
      })
      .then(
        () => null,
        (e: unknown) => e as Error
      )
    expect(error?.message).toBe(
      "callbackOnStepEnd returned callbackKwargs.latents of shape [1, 4, 16, 16] at step 1, but the run's latents are [1, 4, 8, 8]; a callback may change the latents' values, not their shape"
    )
  })

  it('encodes precomputed prompt embeddings like the prompt they came from', async () => {
    const steps: number[][] = []
    const fromPrompt = await pipe.call({
      ...base,
      generator: new Generator().manualSeed(9),
      outputType: 'latent',
      callbackOnStepEndTensorInputs: ['prompt_embeds'],
      callbackOnStepEnd: (_p, i, _t, kw) => {
        if (i === 0) steps.push(values(kw.prompt_embeds as never))
        return kw
      }
    })
    const embeds = steps[0] as number[]
    const half = embeds.length / 2
    const { Tensor } = await import('onnxruntime-node')
    const out = await pipe.call({
      numInferenceSteps: 3,
      promptEmbeds: new Tensor('float32', Float32Array.from(embeds.slice(half)), [1, 77, 32]),
      negativePromptEmbeds: new Tensor(
        'float32',
        Float32Array.from(embeds.slice(0, half)),
        [1, 77, 32]
      ),
      generator: new Generator().manualSeed(9),
      outputType: 'latent'
    })
    expect(relativeDiff(fromPrompt.images, out.images)).toBe(0)
  })

  it('warns about truncated prompts, naming the dropped text', async () => {
    const long = `${'red '.repeat(80)}tail`
    const out = await pipe.call({
      prompt: long,
      numInferenceSteps: 1,
      generator: new Generator().manualSeed(1),
      outputType: 'latent'
    })
    expect(out.warnings).toHaveLength(1)
    expect(out.warnings[0]).toMatch(
      /^The following part of your input was truncated because CLIP can only handle sequences up to 77 tokens: \['red red red red red tail'\]$/
    )
  })

  it('uses stepwise.json defaults and fitted preview factors, and reports a provider fallback', async () => {
    const dir = path.join(tmp, 'with-defaults')
    await fs.cp(SD_DIR, dir, { recursive: true })
    await fs.writeFile(
      path.join(dir, 'stepwise.json'),
      JSON.stringify({
        defaults: {
          num_inference_steps: 2,
          guidance_scale: 3.5,
          width: 48,
          height: 32,
          scheduler: 'DDIMScheduler'
        },
        latent_rgb_factors: [
          [0.1, 0, 0],
          [0, 0.1, 0],
          [0, 0, 0.1],
          [0, 0, 0]
        ],
        latent_rgb_bias: [0, 0, 0]
      })
    )
    const p = await StableDiffusionPipeline.fromPretrained(dir, {
      executionProviders: ['cuda', 'cpu'],
      intraOpNumThreads: 1
    })
    expect(p.scheduler.className).toBe('DDIMScheduler')
    expect(p.defaults).toEqual({
      numInferenceSteps: 2,
      guidanceScale: 3.5,
      guidanceRescale: 0,
      height: 32,
      width: 48
    })
    expect(p.latentRgbFactors.factors[0]).toEqual([0.1, 0, 0])
    const out = await p.call({ prompt: 'a red circle', generator: new Generator().manualSeed(1) })
    expect([out.width, out.height, out.numInferenceSteps, out.guidanceScale]).toEqual([
      48, 32, 2, 3.5
    ])
    expect(out.provider).toBe('cpu')
    expect(out.warnings.some((w) => /run on cpu: cuda \(.+\) could not be used/.test(w))).toBe(true)
    await p.release()
  })

  it('runs diffusers’ legacy ONNX layout: no configs, unet/weights.pb, same images', async () => {
    const dir = path.join(tmp, 'legacy')
    await makeLegacyOnnxLayout(SD_DIR, dir)
    const legacy = await AutoPipelineForText2Image.fromPretrained(dir, TEST_SESSION_OPTIONS)
    legacy.scheduler = DDIMScheduler.fromConfig(legacy.scheduler.config)
    // Without unet/config.json the default size is SD 1.x's 512; ask for the fixture's 64.
    expect(legacy.defaults.height).toBe(512)
    const options = { ...base, height: 64, width: 64, generator: new Generator().manualSeed(6) }
    const a = await legacy.call(options)
    const b = await pipe.call({ ...options, generator: new Generator().manualSeed(6) })
    expect(Buffer.from(a.images[0]?.data ?? []).equals(Buffer.from(b.images[0]?.data ?? []))).toBe(
      true
    )
    expect(a.warnings).toEqual(['The VAE config has no "scaling_factor"; using 0.18215'])
    await legacy.release()
  })

  it('frees sessions on release and loads them again on the next call', async () => {
    const p = await openSd()
    p.scheduler = DDIMScheduler.fromConfig(p.scheduler.config)
    const a = await p.call({
      ...base,
      generator: new Generator().manualSeed(2),
      outputType: 'latent'
    })
    await p.release()
    const b = await p.call({
      ...base,
      generator: new Generator().manualSeed(2),
      outputType: 'latent'
    })
    expect(relativeDiff(a.images, b.images)).toBe(0)
    await p.release()
  })
})
