import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StepwiseError } from '../../shared/errors'
import { modelIdFor, ModelRegistry } from './model-registry'
import { FIXTURE_MODELS, fixtureModelsDir } from '../../testing/fixture-models'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'stepwise-models-'))
}

describe('ModelRegistry', () => {
  it('lists the fixture models with family, defaults from their configs and size on disk', async () => {
    const fixtures = fixtureModelsDir()
    const registry = new ModelRegistry([fixtures])
    const models = await registry.list()
    expect(models.map((m) => m.id)).toEqual(['tiny-sd-random', 'tiny-sdxl-random'])
    const [sd, sdxl] = models
    expect(sd).toMatchObject({
      name: 'tiny-sd-random',
      family: 'sd1',
      path: join(fixtures, 'tiny-sd-random'),
      builtIn: true,
      // sample_size 8 × vae_scale_factor 8; diffusers' SD pipeline defaults; PNDM from its config.
      defaults: {
        width: 64,
        height: 64,
        numInferenceSteps: 50,
        guidanceScale: 7.5,
        scheduler: 'PNDMScheduler',
        cfg: true,
        // Two UNet down blocks: the 8× latents are halved once.
        sizeMultiple: 16
      },
      familyLabel: 'SD 1.x',
      turbo: false,
      pipelineClass: 'StableDiffusionPipeline',
      precision: 'fp32',
      source: 'built-in'
    })
    expect(sd?.sizeBytes).toBeGreaterThan(4_000_000)
    expect(sdxl).toMatchObject({
      family: 'sdxl',
      defaults: { guidanceScale: 5, scheduler: 'EulerDiscreteScheduler' }
    })
    expect(await registry.defaultModelId()).toBe('tiny-sd-random')
  })

  it('prefers the shipped model as default and reads stepwise.json', async () => {
    const root = tempDir()
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), join(root, 'a-first'), { recursive: true })
    const shipped = join(root, 'stepwise-shapes-64')
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), shipped, { recursive: true })
    writeFileSync(
      join(shipped, 'stepwise.json'),
      JSON.stringify({
        name: 'Stepwise Shapes 64',
        description: 'shapes',
        family: 'sd1',
        defaults: {
          num_inference_steps: 25,
          guidance_scale: 5.0,
          width: 64,
          height: 64,
          scheduler: 'DDIMScheduler'
        }
      })
    )
    const registry = new ModelRegistry([root])
    expect(await registry.defaultModelId()).toBe('stepwise-shapes-64')
    const model = await registry.resolve(undefined)
    expect(model).toMatchObject({
      name: 'Stepwise Shapes 64',
      description: 'shapes',
      defaults: { numInferenceSteps: 25, guidanceScale: 5, scheduler: 'DDIMScheduler' }
    })
  })

  it('skips broken folders, reporting each once, and keeps ids unique and path-free', async () => {
    const root = tempDir()
    const other = tempDir()
    mkdirSync(join(root, 'broken'))
    writeFileSync(join(root, 'broken', 'model_index.json'), '{ nope')
    mkdirSync(join(root, 'unknown-pipeline'))
    writeFileSync(
      join(root, 'unknown-pipeline', 'model_index.json'),
      JSON.stringify({ _class_name: 'FluxPipeline' })
    )
    mkdirSync(join(root, 'not a model'))
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), join(root, 'partial'), { recursive: true })
    rmSync(join(root, 'partial', 'unet', 'model.onnx'))
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), join(root, 'my model (fp32)'), {
      recursive: true
    })
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), join(other, 'my-model-fp32-'), {
      recursive: true
    })
    const skipped: string[] = []
    const registry = new ModelRegistry([root, other, join(root, 'missing')], (m) => skipped.push(m))
    const ids = (await registry.list()).map((m) => m.id)
    expect(ids).toEqual(['my-model-fp32-', 'my-model-fp32--2'])
    await registry.list()
    expect(skipped).toHaveLength(3)
    expect(skipped.join('\n')).toMatch(/broken: model_index.json is not valid JSON/)
    expect(skipped.join('\n')).toMatch(
      /Flux is not supported yet: .* names the pipeline "FluxPipeline"/
    )
    expect(skipped.join('\n')).toMatch(/partial: unet\/model.onnx is missing/)
  })

  it('refuses unknown model ids with the list of known ones', async () => {
    const registry = new ModelRegistry([fixtureModelsDir()])
    const error = await registry.resolve('../../etc').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StepwiseError)
    expect((error as StepwiseError).code).toBe('invalid-argument')
    expect((error as StepwiseError).message).toBe(
      'modelId: unknown model "../../etc" (available: tiny-sd-random, tiny-sdxl-random)'
    )
    const none = await new ModelRegistry([tempDir()]).resolve(undefined).catch((e: unknown) => e)
    expect((none as StepwiseError).message).toMatch(/^no models are installed \(looked in /)
  })

  it('makes folder names into ids', () => {
    expect(modelIdFor('stepwise-shapes-64', new Set())).toBe('stepwise-shapes-64')
    expect(modelIdFor('../..', new Set())).toBe('-')
    expect(modelIdFor('', new Set())).toBe('model')
    expect(modelIdFor('a', new Set(['a', 'a-2']))).toBe('a-3')
    expect(modelIdFor('x'.repeat(100), new Set())).toHaveLength(56)
  })
})
