import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ModelInfo, ModelLibraryListing } from '../../shared/contract'
import { FIXTURE_MODELS, fixtureModelsDir } from '../../testing/fixture-models'
import type { CliIo } from './cli-io'
import { runCli } from './run-cli'

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const code = await runCli(argv, io)
  return { code, out, err }
}

const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-cli-models-'))
const builtIns = fixtureModelsDir(['tiny-sd-random'])
const common = ['--data-dir', dataDir, '--models-dir', builtIns]

describe('models commands', () => {
  it('adds, lists (text and JSON), describes and removes library folders', async () => {
    const add = await run(['models', 'add', join(FIXTURE_MODELS, 'tiny-sd-fp16'), ...common])
    expect(add).toMatchObject({ code: 0, err: [] })
    expect(add.out).toEqual([
      `tiny-sd-fp16  (SD 1.x, fp16)  ${join(FIXTURE_MODELS, 'tiny-sd-fp16')}`
    ])

    const list = await run(['models', 'list', ...common])
    expect(list.code).toBe(0)
    expect(list.out[0]).toMatch(/^ID\s+FAMILY\s+PRECISION\s+SIZE\s+SOURCE\s+PATH$/)
    expect(list.out[1]).toMatch(/^tiny-sd-random\s+SD 1.x\s+fp32\s+\d.\d MB\s+built-in\s+\//)
    expect(list.out[2]).toMatch(/^tiny-sd-fp16\s+SD 1.x\s+fp16\s+\d.\d MB\s+added\s+\//)

    const json = await run(['models', 'list', '--json', ...common])
    const listing = JSON.parse(json.out.join('')) as ModelLibraryListing
    expect(json.out).toHaveLength(1)
    expect(listing.models.map((m) => [m.id, m.source])).toEqual([
      ['tiny-sd-random', 'built-in'],
      ['tiny-sd-fp16', 'added']
    ])

    const info = await run(['models', 'info', 'tiny-sd-fp16', ...common])
    expect(info.code).toBe(0)
    expect(info.out.join('\n')).toContain(
      "tiny-sd-fp16  (SD 1.x, fp16, optimum's layout)\n  id         tiny-sd-fp16 (added)"
    )
    expect(info.out.join('\n')).toContain('in   timestep float16 []')
    expect(info.out.join('\n')).toContain(
      '  defaults   50 steps, guidance 7.5 (CFG on), 64×64, PNDMScheduler'
    )
    expect(info.out).toContain(
      '  passes     unet: attention not fused: the graph computes in float16 (the fusion is for float32 graphs on the CPU)'
    )
    const fp32 = await run(['models', 'info', 'tiny-sd-random', ...common])
    expect(fp32.out).toContain(
      '  passes     unet: attention fusable (14 of 14), checked at first load'
    )

    const remove = await run(['models', 'remove', 'tiny-sd-fp16', ...common])
    expect(remove.code).toBe(0)
    const builtIn = await run(['models', 'remove', 'tiny-sd-random', ...common])
    expect(builtIn).toMatchObject({
      code: 1,
      err: ["error: tiny-sd-random is one of the app's built-in models and cannot be removed"]
    })
  })

  it('describes a folder by path, legacy layout included, as JSON', async () => {
    const r = await run([
      'models',
      'info',
      join(FIXTURE_MODELS, 'tiny-sd-legacy'),
      '--json',
      ...common
    ])
    expect(r.code).toBe(0)
    const info = JSON.parse(r.out[0] ?? '') as ModelInfo
    expect(info).toMatchObject({
      layout: 'diffusers-legacy',
      pipelineClass: 'OnnxStableDiffusionPipeline',
      familyLabel: 'SD 1.x'
    })
    expect(info.graphs.find((g) => g.component === 'unet')?.inputs[1]).toEqual({
      name: 'timestep',
      type: 'float32',
      shape: ['batch']
    })
  })

  it('says exactly why a folder is not usable, naming an unsupported pipeline', async () => {
    const flux = join(mkdtempSync(join(tmpdir(), 'stepwise-flux-')), 'flux')
    cpSync(join(FIXTURE_MODELS, 'tiny-sd-random'), flux, { recursive: true })
    writeFileSync(join(flux, 'model_index.json'), JSON.stringify({ _class_name: 'FluxPipeline' }))
    const text = await run(['models', 'info', flux, ...common])
    expect(text.code).toBe(1)
    expect(text.err[0]).toMatch(
      /^error: Flux is not supported yet: .* names the pipeline "FluxPipeline"/
    )
    const json = await run(['models', 'info', flux, '--json', ...common])
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject({
      supported: false,
      pipelineClass: 'FluxPipeline',
      path: flux
    })
    const add = await run(['models', 'add', flux, ...common])
    expect(add.code).toBe(1)
    expect(add.err[0]).toMatch(/cannot be added: Flux is not supported yet/)
    expect((await run(['models', 'frobnicate'])).code).toBe(2)
    expect((await run(['models', 'info', 'a', 'b', ...common])).err).toEqual([
      'error: models info takes at most one folder or id (got 2)'
    ])
  })
})
