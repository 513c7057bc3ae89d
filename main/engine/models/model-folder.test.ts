import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelLoadError } from './model-load-error'
import { openModelFolder } from './model-folder'

const root = path.resolve(__dirname, '../../..')
const SD = path.join(root, 'fixtures/models/tiny-sd-random')
const SDXL = path.join(root, 'fixtures/models/tiny-sdxl-random')

let tmp = ''
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-models-'))
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

/** A copy of a fixture folder in the temp dir (symlinked graphs, copied small files). */
async function copyFixture(src: string, name: string): Promise<string> {
  const dest = path.join(tmp, name)
  await fs.cp(src, dest, { recursive: true })
  return dest
}

describe('openModelFolder', () => {
  it('reads the SD fixture: family, components, configs', async () => {
    const m = await openModelFolder(SD)
    expect(m.family).toBe('sd')
    expect(m.index.pipelineClass).toBe('StableDiffusionPipeline')
    expect(m.components).toEqual(['text_encoder', 'unet', 'vae_decoder'])
    expect(m.tokenizers).toEqual(['tokenizer'])
    expect(m.vaeConfig.scalingFactor).toBe(0.18215)
    expect(m.vaeConfig.scaleFactor).toBe(8)
    expect(m.unetConfig.sampleSize).toBe(8)
    expect(m.schedulerConfig._class_name).toBe('PNDMScheduler')
    expect(m.warnings).toEqual([])
  })

  it('reads the SDXL fixture: two encoders, force_zeros_for_empty_prompt, SDXL VAE scale', async () => {
    const m = await openModelFolder(SDXL)
    expect(m.family).toBe('sdxl')
    expect(m.textEncoders).toEqual(['text_encoder', 'text_encoder_2'])
    expect(m.tokenizers).toEqual(['tokenizer', 'tokenizer_2'])
    expect(m.index.forceZerosForEmptyPrompt).toBe(true)
    expect(m.vaeConfig.scalingFactor).toBe(0.13025)
    expect(m.vaeConfig.forceUpcast).toBe(true)
    expect(m.textEncoderConfigs.text_encoder_2?.projectionDim).toBe(32)
  })

  it('accepts optimum ORT names and the legacy ONNX layout without config.json files', async () => {
    const dir = await copyFixture(SD, 'legacy')
    for (const c of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) {
      await fs.rm(path.join(dir, c, 'config.json'))
    }
    const index = JSON.parse(await fs.readFile(path.join(dir, 'model_index.json'), 'utf8'))
    index._class_name = 'OnnxStableDiffusionPipeline'
    index.unet = ['diffusers', 'OnnxRuntimeModel']
    await fs.writeFile(path.join(dir, 'model_index.json'), JSON.stringify(index))
    const m = await openModelFolder(dir)
    expect(m.index.legacyOnnx).toBe(true)
    expect(m.family).toBe('sd')
    // No VAE config: SD's 0.18215, never optimum's 2 ** (len(block_out_channels) - 1) = 8.
    expect(m.vaeConfig.scalingFactor).toBe(0.18215)
    // That layout never has a VAE config: the fallback is expected, not worth a warning per run.
    expect(m.warnings).toEqual([])
    expect(m.vaeConfig.scalingFactorFromFallback).toBe(true)
    expect(m.unetConfig.sampleSize).toBeNull()

    // optimum's layout without a VAE config is unusual: that still warns.
    const noVae = await copyFixture(SD, 'no-vae-config')
    for (const c of ['vae_decoder', 'vae_encoder']) {
      await fs.rm(path.join(noVae, c, 'config.json'))
    }
    expect((await openModelFolder(noVae)).warnings).toEqual([
      'The VAE config has no "scaling_factor"; using 0.18215'
    ])

    index._class_name = 'ORTStableDiffusionXLPipeline'
    const xl = await copyFixture(SDXL, 'ort-xl')
    await fs.writeFile(path.join(xl, 'model_index.json'), JSON.stringify(index))
    expect((await openModelFolder(xl)).index.pipelineClass).toBe('StableDiffusionXLPipeline')
  })

  it('falls back to the SDXL latent scale when an SDXL VAE config lacks scaling_factor', async () => {
    const dir = await copyFixture(SDXL, 'xl-noscale')
    const file = path.join(dir, 'vae_decoder', 'config.json')
    const cfg = JSON.parse(await fs.readFile(file, 'utf8'))
    delete cfg.scaling_factor
    await fs.writeFile(file, JSON.stringify(cfg))
    expect((await openModelFolder(dir)).vaeConfig.scalingFactor).toBe(0.13025)
  })

  it('gives specific errors for broken folders', async () => {
    await expect(openModelFolder(path.join(tmp, 'nope'))).rejects.toThrow(
      /does not exist or is not a folder/
    )

    const notJson = await copyFixture(SD, 'not-json')
    await fs.writeFile(path.join(notJson, 'model_index.json'), '{ "_class_name": ')
    await expect(openModelFolder(notJson)).rejects.toThrow(/model_index.json is not valid JSON/)

    const unknown = await copyFixture(SD, 'unknown')
    await fs.writeFile(
      path.join(unknown, 'model_index.json'),
      JSON.stringify({ _class_name: 'FluxPipeline' })
    )
    await expect(openModelFolder(unknown)).rejects.toThrow(
      /^Flux is not supported yet: .*model_index.json names the pipeline "FluxPipeline" \(supported: Stable Diffusion 1.x, 2.x, SD-Turbo, SDXL and SDXL-Turbo text-to-image, image-to-image and inpainting \(StableDiffusionPipeline, ORTStableDiffusionPipeline, OnnxStableDiffusionPipeline, StableDiffusionXLPipeline, ORTStableDiffusionXLPipeline, StableDiffusionImg2ImgPipeline, .*StableDiffusionXLInpaintPipeline, ORTStableDiffusionXLInpaintPipeline\)\)$/
    )

    const noUnet = await copyFixture(SD, 'no-unet')
    await fs.rm(path.join(noUnet, 'unet', 'model.onnx'))
    const error = await openModelFolder(noUnet).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ModelLoadError)
    expect((error as ModelLoadError).message).toMatch(
      /^unet\/model.onnx is missing: .*unet\/model.onnx does not exist/
    )

    const noScheduler = await copyFixture(SD, 'no-scheduler')
    await fs.rm(path.join(noScheduler, 'scheduler'), { recursive: true })
    await expect(openModelFolder(noScheduler)).rejects.toThrow(
      /The scheduler config is missing: .*scheduler_config.json does not exist/
    )

    const badConfig = await copyFixture(SD, 'bad-config')
    await fs.writeFile(
      path.join(badConfig, 'unet', 'config.json'),
      JSON.stringify({ sample_size: 'big' })
    )
    await expect(openModelFolder(badConfig)).rejects.toThrow(
      /"sample_size" in .* must be an integer or \[height, width\]/
    )

    const badStepwise = await copyFixture(SD, 'bad-stepwise')
    await fs.writeFile(
      path.join(badStepwise, 'stepwise.json'),
      JSON.stringify({ latent_rgb_factors: [[1, 2]] })
    )
    await expect(openModelFolder(badStepwise)).rejects.toThrow(
      /each latent_rgb_factors row needs 3 values/
    )
  })

  it('reads stepwise.json defaults and preview factors', async () => {
    const dir = await copyFixture(SD, 'with-stepwise')
    await fs.writeFile(
      path.join(dir, 'stepwise.json'),
      JSON.stringify({
        name: 'Tiny',
        defaults: {
          num_inference_steps: 25,
          guidance_scale: 5.0,
          width: 64,
          height: 64,
          scheduler: 'DDIMScheduler'
        },
        latent_rgb_factors: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
          [0, 0, 0]
        ],
        latent_rgb_bias: [0.1, 0.2, 0.3]
      })
    )
    const m = await openModelFolder(dir)
    expect(m.stepwise?.defaults).toEqual({
      numInferenceSteps: 25,
      guidanceScale: 5,
      guidanceRescale: null,
      width: 64,
      height: 64,
      scheduler: 'DDIMScheduler'
    })
    expect(m.stepwise?.latentRgbFactors?.bias).toEqual([0.1, 0.2, 0.3])
    expect(m.stepwise?.latentRgbFactors?.factors).toHaveLength(4)
  })
})
