import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { SD_INPAINT_DIR } from '../../../testing/fixture-models'
import { SDCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { CFGIntervalCallback } from '../callbacks/cfg-interval-callback'
import { LiveGuidanceCallback } from '../callbacks/live-guidance-callback'
import { LiveCfgCutoffCallback } from '../callbacks/live-cfg-cutoff-callback'
import { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import { decodePng } from '../output/png'
import { Generator } from '../random/generator'
import { DDIMScheduler } from '../schedulers'
import { openSd, SD_DIR, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'
import {
  AutoPipelineForImage2Image,
  AutoPipelineForInpainting,
  AutoPipelineForText2Image
} from './auto-pipeline'
import type { DiffusionPipeline } from './diffusion-pipeline'
import {
  StableDiffusionImg2ImgPipeline,
  StableDiffusionInpaintPipeline
} from './stable-diffusion-image-pipelines'
import { StableDiffusionXLInpaintPipeline } from './stable-diffusion-xl-image-pipelines'

const FIXTURES = path.join(__dirname, 'fixtures')
const image = decodePng(readFileSync(path.join(FIXTURES, 'blue-square-64.png')))
const maskImage = decodePng(readFileSync(path.join(FIXTURES, 'half-mask-64.png')))
const prompt = 'a red square on a white background'
const seed = () => new Generator().manualSeed(3)

const pipes: DiffusionPipeline[] = []
const track = <P extends DiffusionPipeline>(p: P): P => {
  pipes.push(p)
  return p
}
const temps: string[] = []
afterAll(async () => {
  for (const p of pipes) await p.release()
  for (const t of temps) rmSync(t, { recursive: true, force: true })
})

describe('fromPipe', () => {
  it('shares the sessions and the scheduler; each pipeline runs its own kind of call', async () => {
    const t2i = track(await openSd())
    const img2img = StableDiffusionImg2ImgPipeline.fromPipe(t2i)
    const inpaint = AutoPipelineForInpainting.fromPipe(t2i)
    expect(inpaint).toBeInstanceOf(StableDiffusionInpaintPipeline)
    expect(img2img.components).toBe(t2i.components)
    expect(img2img.scheduler).toBe(t2i.scheduler)
    const a = await img2img.call({
      prompt,
      image,
      strength: 0.5,
      numInferenceSteps: 4,
      outputType: 'latent',
      generator: seed()
    })
    expect(a.stepsRun).toBe(3) // PNDM runs N + 1 timesteps: [2:] of 5
    const unet = await t2i.components.sessions.get('unet')
    await inpaint.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 2,
      outputType: 'latent',
      generator: seed()
    })
    expect(await inpaint.components.sessions.get('unet')).toBe(unet)
    const t = await AutoPipelineForText2Image.fromPipe(inpaint).call({
      prompt,
      numInferenceSteps: 2,
      outputType: 'latent'
    })
    expect(t.startStep).toBe(0)
  })

  it('refuses a pipeline of the other family', async () => {
    const sd = track(await openSd())
    expect(() => StableDiffusionXLInpaintPipeline.fromPipe(sd)).toThrow(
      /needs a SDXL pipeline, but got a Stable Diffusion 1.x\/2.x one/
    )
  })
})

describe('image-to-image runs', () => {
  it('step 0 is the first timestep that runs; startStep says where it is in the schedule', async () => {
    const pipe = track(
      await AutoPipelineForImage2Image.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    pipe.scheduler = DDIMScheduler.fromConfig(pipe.scheduler.config)
    const seen: number[] = []
    const out = await pipe.call({
      prompt,
      image,
      strength: 0.6,
      numInferenceSteps: 10,
      outputType: 'image',
      generator: seed(),
      callbackOnStepEnd: (_p, i, _t, kw) => {
        seen.push(i)
        return kw
      }
    })
    expect(out.startStep).toBe(4)
    expect(out.strength).toBe(0.6)
    expect(out.numTimesteps).toBe(6)
    expect(seen).toEqual([0, 1, 2, 3, 4, 5])
    expect(out.steps[0]?.timestep).toBe(pipe.scheduler.timesteps[4])
    expect(out.images[0]?.width).toBe(64)
  })

  it('resizes the picture to the requested size', async () => {
    const pipe = track(
      await StableDiffusionImg2ImgPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    const out = await pipe.call({
      prompt,
      image,
      height: 48,
      width: 80,
      strength: 0.5,
      numInferenceSteps: 2,
      outputType: 'latent'
    })
    expect(out.images.dims).toEqual([1, 4, 6, 10])
  })

  it.each([
    [0, /strength is 0, which keeps the image unchanged/],
    [1.5, /strength must be a number from 0 to 1, but is 1\.5/],
    [Number.NaN, /strength must be a number from 0 to 1, but is NaN/]
  ])('refuses strength %s before anything runs', async (strength, message) => {
    const pipe = track(
      await StableDiffusionImg2ImgPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    await expect(pipe.call({ prompt, image, strength, numInferenceSteps: 4 })).rejects.toThrow(
      message
    )
    expect(pipe.components.loaded).toBeNull()
  })

  it('refuses a strength that runs no step, saying why', async () => {
    const pipe = track(
      await StableDiffusionImg2ImgPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    pipe.scheduler = DDIMScheduler.fromConfig(pipe.scheduler.config)
    await expect(
      pipe.call({ prompt, image, strength: 0.05, numInferenceSteps: 10 })
    ).rejects.toThrow(/strength 0.05 with 10 steps runs no denoising step \(int\(10 · 0.05\) = 0\)/)
  })

  it('refuses an image on a model without a VAE encoder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stepwise-no-encoder-'))
    temps.push(dir)
    for (const name of readdirSync(SD_DIR)) {
      if (name !== 'vae_encoder') symlinkSync(path.join(SD_DIR, name), path.join(dir, name))
    }
    const pipe = track(
      await StableDiffusionImg2ImgPipeline.fromPretrained(dir, TEST_SESSION_OPTIONS)
    )
    await expect(pipe.call({ prompt, image, numInferenceSteps: 2 })).rejects.toThrow(
      /has no VAE encoder \(vae_encoder\/model.onnx\), so it cannot start from an image/
    )
  })

  it('refuses latents (diffusers has none here) and a non-image', async () => {
    const pipe = track(
      await StableDiffusionImg2ImgPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    const latents = new Tensor('float32', new Float32Array(256), [1, 4, 8, 8])
    await expect(
      pipe.call({ prompt, image, latents } as Parameters<typeof pipe.call>[0])
    ).rejects.toThrow(/takes no latents/)
    await expect(
      pipe.call({ prompt, image: 'photo.png' } as unknown as Parameters<typeof pipe.call>[0])
    ).rejects.toThrow(/image must be an RGBA image or a tensor, but is a string/)
  })
})

describe('inpainting runs', () => {
  it('a text-to-image pipeline on a 9-channel UNet says it is an inpainting model', async () => {
    const pipe = track(
      await AutoPipelineForText2Image.fromPretrained(SD_INPAINT_DIR, TEST_SESSION_OPTIONS)
    )
    await expect(pipe.call({ prompt, numInferenceSteps: 2 })).rejects.toThrow(
      /takes 9 input channels .* it is an inpainting model; use StableDiffusionInpaintPipeline/
    )
  })

  it('callbacks get mask and masked_image_latents; the cutoff halves them', async () => {
    const pipe = track(
      await AutoPipelineForInpainting.fromPretrained(SD_INPAINT_DIR, TEST_SESSION_OPTIONS)
    )
    const rows: number[][] = []
    const out = await pipe.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 4,
      outputType: 'latent',
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: 0.5 }),
      onStepEnd: () => {
        const m = pipe.currentStep
        if (m !== null) rows.push([m.unetBatch])
      }
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1]) // PNDM: 5 timesteps
    const seen: Record<string, number[]> = {}
    await pipe.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 2,
      outputType: 'latent',
      callbackOnStepEndTensorInputs: ['mask', 'masked_image_latents'],
      callbackOnStepEnd: (_p, _i, _t, kw) => {
        for (const [k, v] of Object.entries(kw)) seen[k] = [...(v?.dims ?? [])]
        return kw
      }
    })
    expect(seen).toEqual({ mask: [2, 1, 8, 8], masked_image_latents: [2, 4, 8, 8] })
  })

  it("the app's live cutoff, inside MultiPipelineCallbacks, halves the mask tensors too", async () => {
    const pipe = track(
      await StableDiffusionInpaintPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    const live = new LiveCfgCutoffCallback({ family: 'sd', cutoff: { ratio: 0.5 } })
    const out = await pipe.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 4,
      outputType: 'latent',
      callbackOnStepEnd: new MultiPipelineCallbacks([live])
    })
    // PNDM: 5 timesteps; guidance ends after step int(5 · 0.5) = 2.
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1])
    expect(out.images.dims).toEqual([1, 4, 8, 8])
  })

  it('a guidance interval halves the mask tensors before it and puts them back inside it (both UNet kinds)', async () => {
    for (const dir of [SD_INPAINT_DIR, SD_DIR]) {
      const pipe = track(
        await StableDiffusionInpaintPipeline.fromPretrained(dir, TEST_SESSION_OPTIONS)
      )
      const out = await pipe.call({
        prompt,
        image,
        maskImage,
        numInferenceSteps: 4,
        outputType: 'latent',
        generator: seed(),
        // PNDM: 5 timesteps; guidance on steps int(5 · 0.2) = 1 up to int(5 · 0.6) = 3.
        callbackOnStepEnd: new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.6 })
      })
      expect(out.steps.map((s) => s.unetBatch)).toEqual([1, 2, 2, 1, 1])
      expect(out.images.dims).toEqual([1, 4, 8, 8])
    }
  })

  it("the app's live guidance moves the interval and scale on an inpainting run", async () => {
    const pipe = track(
      await StableDiffusionInpaintPipeline.fromPretrained(SD_INPAINT_DIR, TEST_SESSION_OPTIONS)
    )
    const live = new LiveGuidanceCallback({
      family: 'sd',
      interval: { startStepIndex: 2, endStepIndex: 4 }
    })
    const out = await pipe.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 4,
      outputType: 'latent',
      callbackOnStepEnd: new MultiPipelineCallbacks([live]),
      onStepEnd: (info) => {
        if (info.index === 0) live.setGuidanceScale(9)
      }
    })
    expect(out.steps.map((s) => s.unetBatch)).toEqual([1, 1, 2, 2, 1])
    expect(out.steps.filter((s) => s.cfg).map((s) => s.guidanceScale)).toEqual([9, 9])
  })

  it('keeps no run snapshot and refuses resumeFrom: the picture is not part of the run state', async () => {
    const t2i = track(await openSd())
    const text = await t2i.call({
      prompt,
      numInferenceSteps: 2,
      outputType: 'latent',
      generator: seed()
    })
    expect(text.snapshot).not.toBeNull()
    const inpaint = StableDiffusionInpaintPipeline.fromPipe(t2i)
    const out = await inpaint.call({
      prompt,
      image,
      maskImage,
      numInferenceSteps: 2,
      outputType: 'latent',
      generator: seed()
    })
    expect(out.snapshot).toBeNull()
    await expect(
      inpaint.call({ prompt, image, maskImage, resumeFrom: text.snapshot ?? undefined })
    ).rejects.toThrow(/image-to-image and inpainting runs cannot be continued/)
  })

  it('a callback that ends guidance without halving the mask gets a clear error', async () => {
    const pipe = track(
      await StableDiffusionInpaintPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    await expect(
      pipe.call({
        prompt,
        image,
        maskImage,
        numInferenceSteps: 3,
        outputType: 'latent',
        callbackOnStepEndTensorInputs: ['prompt_embeds'],
        callbackOnStepEnd: (p, i, _t, kw) => {
          if (i === 0) {
            p._guidanceScale = 0
            const pe = kw.prompt_embeds as Tensor
            kw.prompt_embeds = new Tensor(
              'float32',
              (pe.data as Float32Array).slice((pe.data as Float32Array).length / 2),
              [1, ...pe.dims.slice(1)]
            )
          }
          return kw
        }
      })
    ).rejects.toThrow(/must also keep only the conditional half of mask and masked_image_latents/)
  })

  it('refuses a mask tensor of another size and names both', async () => {
    const pipe = track(
      await StableDiffusionInpaintPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    const small = new Tensor('float32', new Float32Array(32 * 32), [1, 1, 32, 32])
    await expect(pipe.call({ prompt, image, maskImage: small })).rejects.toThrow(
      /maskImage is a 32×32 tensor but the run is 64×64/
    )
    await expect(
      pipe.call({ prompt, image, maskImage, paddingMaskCrop: 8 } as Parameters<typeof pipe.call>[0])
    ).rejects.toThrow(/paddingMaskCrop is not supported/)
  })

  it('decodes an image and can be interrupted like text-to-image', async () => {
    const pipe = track(
      await StableDiffusionInpaintPipeline.fromPretrained(SD_DIR, TEST_SESSION_OPTIONS)
    )
    const out = await pipe.call({
      prompt,
      image,
      maskImage,
      strength: 0.8,
      numInferenceSteps: 5,
      callbackOnStepEnd: (p, i, _t, kw) => {
        if (i === 1) p._interrupt = true
        return kw
      }
    })
    expect(out.stepsRun).toBe(2)
    expect(out.interrupted).toBe(true)
    expect(out.images[0]?.data.length).toBe(64 * 64 * 4)
  })
})
