import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StepwiseError } from '../../shared/errors'
import { LIBRARY_FILE, ModelLibrary } from './model-library'
import { ModelRegistry } from './model-registry'
import { FIXTURE_MODELS, fixtureModelsDir } from '../../testing/fixture-models'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'stepwise-library-'))
}

function copyFixture(name: string, dest: string): string {
  cpSync(join(FIXTURE_MODELS, name), dest, { recursive: true })
  return dest
}

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  edit(json)
  writeFileSync(file, JSON.stringify(json))
}

async function openRegistry(dataDir: string, modelDirs: string[] = []): Promise<ModelRegistry> {
  const library = await ModelLibrary.open(join(dataDir, LIBRARY_FILE))
  return new ModelRegistry({ modelDirs, library })
}

describe('the model library', () => {
  it('adds folders, remembers them across runs, removes them (built-ins stay)', async () => {
    const data = tempDir()
    const builtIns = fixtureModelsDir(['tiny-sd-random'])
    const registry = await openRegistry(data, [builtIns])
    const fp16 = await registry.add(join(FIXTURE_MODELS, 'tiny-sd-fp16'))
    expect(fp16).toMatchObject({
      id: 'tiny-sd-fp16',
      source: 'added',
      builtIn: false,
      precision: 'fp16',
      familyLabel: 'SD 1.x'
    })
    const legacy = await registry.add(join(FIXTURE_MODELS, 'tiny-sd-legacy'))
    expect(legacy).toMatchObject({
      precision: 'fp32',
      pipelineClass: 'OnnxStableDiffusionPipeline'
    })
    // Adding the same folder again returns the entry it already has.
    expect((await registry.add(join(FIXTURE_MODELS, 'tiny-sd-fp16'))).id).toBe('tiny-sd-fp16')

    const saved = JSON.parse(readFileSync(join(data, LIBRARY_FILE), 'utf8')) as {
      version: number
      models: { id: string; path: string; source: string }[]
    }
    expect(saved.version).toBe(1)
    expect(saved.models.map((m) => [m.id, m.path, m.source])).toEqual([
      ['tiny-sd-fp16', join(FIXTURE_MODELS, 'tiny-sd-fp16'), 'added'],
      ['tiny-sd-legacy', join(FIXTURE_MODELS, 'tiny-sd-legacy'), 'added']
    ])

    const again = await openRegistry(data, [builtIns])
    expect((await again.list()).map((m) => [m.id, m.source])).toEqual([
      ['tiny-sd-random', 'built-in'],
      ['tiny-sd-fp16', 'added'],
      ['tiny-sd-legacy', 'added']
    ])
    await again.remove('tiny-sd-fp16')
    const removeBuiltIn = await again.remove('tiny-sd-random').catch((e: unknown) => e)
    expect(removeBuiltIn).toBeInstanceOf(StepwiseError)
    expect((removeBuiltIn as StepwiseError).message).toBe(
      "tiny-sd-random is one of the app's built-in models and cannot be removed"
    )
    await expect(again.remove('nope')).rejects.toMatchObject({ code: 'not-found' })
    expect((await (await openRegistry(data, [builtIns])).list()).map((m) => m.id)).toEqual([
      'tiny-sd-random',
      'tiny-sd-legacy'
    ])
  })

  it('refuses an unusable folder with the engine’s specific reason and adds nothing', async () => {
    const data = tempDir()
    const registry = await openRegistry(data)
    const broken = copyFixture('tiny-sd-random', join(tempDir(), 'no-vae'))
    rmSync(join(broken, 'vae_decoder', 'model.onnx'))
    const error = await registry.add(broken).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StepwiseError)
    expect((error as StepwiseError).code).toBe('invalid-argument')
    expect((error as StepwiseError).message).toMatch(
      /no-vae cannot be added: vae_decoder\/model.onnx is missing: .*vae_decoder\/model.onnx does not exist/
    )
    const flux = copyFixture('tiny-sd-random', join(tempDir(), 'flux'))
    writeFileSync(join(flux, 'model_index.json'), JSON.stringify({ _class_name: 'FluxPipeline' }))
    await expect(registry.add(flux)).rejects.toThrow(/Flux is not supported yet/)
    expect(await registry.list()).toEqual([])
  })

  it('lists a library folder that broke since it was added as a removable problem', async () => {
    const data = tempDir()
    const registry = await openRegistry(data)
    const dir = copyFixture('tiny-sd-random', join(tempDir(), 'will-break'))
    await registry.add(dir)
    rmSync(join(dir, 'unet', 'model.onnx'))
    const listing = await registry.listing()
    expect(listing.models).toEqual([])
    expect(listing.problems).toEqual([
      {
        id: 'will-break',
        path: dir,
        source: 'added',
        message: expect.stringMatching(/^unet\/model.onnx is missing/) as unknown as string,
        pipelineClass: null
      }
    ])
    await registry.remove('will-break')
    expect((await registry.listing()).problems).toEqual([])
  })

  it('keeps a library file it cannot read aside and starts empty', async () => {
    const data = tempDir()
    writeFileSync(join(data, LIBRARY_FILE), '{ "version": 1, "models": [ { "id": 3 } ] }')
    const library = await ModelLibrary.open(join(data, LIBRARY_FILE))
    expect(library.entries()).toEqual([])
    expect(library.notice).toMatch(/could not be read and was kept as .*model-library.json.broken-/)
  })
})

describe('family detection and defaults', () => {
  it('tells SD 2.x and SD-Turbo apart from SD 1.x by the cross-attention width and schedule', async () => {
    const root = tempDir()
    const sd2 = copyFixture('tiny-sd-random', join(root, 'sd2'))
    editJson(join(sd2, 'unet', 'config.json'), (c) => (c['cross_attention_dim'] = 1024))
    const turbo = copyFixture('tiny-sd-random', join(root, 'distilled'))
    editJson(join(turbo, 'unet', 'config.json'), (c) => (c['cross_attention_dim'] = 1024))
    editJson(join(turbo, 'scheduler', 'scheduler_config.json'), (c) => {
      c['_class_name'] = 'EulerDiscreteScheduler'
      c['timestep_spacing'] = 'trailing'
    })
    const [a, b] = await new ModelRegistry([root]).list()
    expect(b).toMatchObject({ id: 'sd2', family: 'sd2', familyLabel: 'SD 2.x', turbo: false })
    expect(a).toMatchObject({
      id: 'distilled',
      family: 'sd2',
      familyLabel: 'SD-Turbo',
      turbo: true,
      defaults: {
        numInferenceSteps: 1,
        guidanceScale: 0,
        width: 512,
        height: 512,
        scheduler: 'EulerDiscreteScheduler',
        cfg: false
      }
    })
  })

  it('recognises SDXL-Turbo by name and SDXL otherwise; an fp16 VAE with force_upcast is warned about', async () => {
    const root = tempDir()
    copyFixture('tiny-sdxl-random', join(root, 'sdxl-turbo-onnx'))
    copyFixture('tiny-sdxl-random', join(root, 'xl'))
    const registry = new ModelRegistry([root])
    const [turbo, xl] = await registry.list()
    expect(turbo).toMatchObject({ familyLabel: 'SDXL-Turbo', defaults: { guidanceScale: 0 } })
    expect(xl).toMatchObject({
      familyLabel: 'SDXL',
      turbo: false,
      defaults: { guidanceScale: 5, numInferenceSteps: 50, cfg: true }
    })
    const info = await registry.info('xl')
    expect(info.graphs.map((g) => g.component)).toEqual([
      'text_encoder',
      'text_encoder_2',
      'unet',
      'vae_decoder'
    ])
    expect(info.graphs[2]?.inputs.map((i) => i.name)).toEqual([
      'sample',
      'timestep',
      'encoder_hidden_states',
      'text_embeds',
      'time_ids'
    ])
    expect(info.warnings).toEqual([])

    const upcast = copyFixture('tiny-sd-fp16', join(tempDir(), 'fp16-upcast'))
    editJson(join(upcast, 'vae_decoder', 'config.json'), (c) => (c['force_upcast'] = true))
    const data = tempDir()
    const withLibrary = await openRegistry(data)
    const added = await withLibrary.add(upcast)
    expect((await withLibrary.info(added.id)).warnings).toEqual([
      expect.stringMatching(
        /^vae_decoder\/model.onnx is float16 and the VAE config sets force_upcast: Stepwise decodes with a float32 copy/
      )
    ])
  })
})
