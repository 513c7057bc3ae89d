import { promises as fs, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InferenceSession } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fuseAttention } from './attention-fusion'
import { createSessionWithFallback, type ExecutionProviderName } from './execution-providers'
import { FolderGraphPassCache, MemoryGraphPassCache, type GraphPassCache } from './graph-pass-cache'
import {
  createModelWithGraphPasses,
  previewGraphPasses,
  type GraphPassContext
} from './graph-passes'
import { componentModelPath, openModelFolder, type ModelFolder } from './model-folder'
import { decodeOnnxModel } from './onnx-graph'
import { OnnxModel } from './onnx-model'
import { ATTENTION_FIXTURES } from '../testing/attention-fixtures'

const MODELS = path.resolve(__dirname, '../../../fixtures/models')
const SETTINGS = { intraOpNumThreads: 1 }
const TINY_UNET_1 = path.join(ATTENTION_FIXTURES, 'torch1', 'tiny-unet', 'model.onnx')
const TINY_UNET_2 = path.join(ATTENTION_FIXTURES, 'torch2', 'tiny-unet', 'model.onnx')

async function load(file: string, bytes: Uint8Array | null = null): Promise<OnnxModel> {
  const created = await createSessionWithFallback(
    file,
    ['cpu'],
    SETTINGS,
    new Map(),
    bytes ?? undefined
  )
  return new OnnxModel(created.session, file, path.basename(file), created.provider)
}

let sd: ModelFolder

beforeAll(async () => {
  sd = await openModelFolder(path.join(MODELS, 'tiny-sd-random'))
})

/** A context for the tiny SD fixture's UNet; `loads` records what each session was made from. */
function context(
  cache: GraphPassCache,
  loads: ('exported' | 'rewritten')[],
  overrides: Partial<GraphPassContext> = {}
): GraphPassContext {
  const file = componentModelPath(sd.dir, 'unet')
  return {
    component: 'unet',
    file,
    folder: sd,
    provider: 'cpu',
    fuseAttention: true,
    cache,
    createModel: (bytes) => {
      loads.push(bytes === null ? 'exported' : 'rewritten')
      return load(file, bytes)
    },
    ...overrides
  }
}

describe('a session from rewritten bytes, weights left in their file', () => {
  it('keeps external weights external and finds them in the model folder', async () => {
    const original = new Uint8Array(readFileSync(TINY_UNET_1))
    const fused = fuseAttention(original).bytes as Uint8Array
    const before = decodeOnnxModel(original)
    const after = decodeOnnxModel(fused)
    const external = (m: typeof before): string[] =>
      [...m.initializers.values()].filter((i) => i.external).map((i) => i.name)
    expect(external(before).length).toBeGreaterThan(10)
    expect(external(after)).toEqual(external(before))
    // Without the folder onnxruntime looks for model.onnx_data beside the process, and refuses.
    await expect(InferenceSession.create(fused)).rejects.toThrow(/external data/i)
    const model = await load(TINY_UNET_1, fused)
    expect(model.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states'])
    await model.release()
  })
})

describe('graph passes at load', () => {
  it('fuses the UNet after one check, then takes the verdict from the cache', async () => {
    const cache = new MemoryGraphPassCache()
    const first: ('exported' | 'rewritten')[] = []
    const a = await createModelWithGraphPasses(context(cache, first))
    await a.model.release()
    expect(a.reports).toEqual([
      expect.objectContaining({
        pass: 'attention-fusion',
        component: 'unet',
        applied: true,
        summary: 'attention fused (14 of 14)',
        found: 14,
        fused: 14,
        check: expect.objectContaining({ passed: true, source: 'run' })
      })
    ])
    expect(a.reports[0]?.check?.maxRelativeDifference).toBeLessThan(1e-5)
    // The check loads the exported graph once, then the fused one, which is kept.
    expect(first).toEqual(['exported', 'rewritten'])

    const second: ('exported' | 'rewritten')[] = []
    const b = await createModelWithGraphPasses(context(cache, second))
    await b.model.release()
    expect(b.reports[0]?.check?.source).toBe('cache')
    expect(second).toEqual(['rewritten'])
  })

  it('falls back to the graph as exported, saying why, when the check fails', async () => {
    const cache = new MemoryGraphPassCache()
    const loads: ('exported' | 'rewritten')[] = []
    // The "rewrite" of the torch 1 tiny UNet is loaded as the torch 2 one (other weights, same
    // inputs): the test run sees different outputs.
    const ctx = context(cache, loads, {
      file: TINY_UNET_1,
      createModel: (bytes) => {
        loads.push(bytes === null ? 'exported' : 'rewritten')
        return bytes === null ? load(TINY_UNET_1) : load(TINY_UNET_2)
      }
    })
    const result = await createModelWithGraphPasses(ctx)
    await result.model.release()
    const report = result.reports[0]
    expect(report?.applied).toBe(false)
    expect(report?.summary).toMatch(
      /^attention not fused: fused and exported outputs differ by .* on the test run \(limit 1e-5\); the graph runs as exported$/
    )
    expect(report?.check).toEqual(expect.objectContaining({ passed: false, source: 'run' }))
    expect(loads).toEqual(['exported', 'rewritten', 'exported'])
    // The failed verdict is remembered: no second check, straight to the exported graph.
    loads.length = 0
    const again = await createModelWithGraphPasses(ctx)
    await again.model.release()
    expect(again.reports[0]?.check?.source).toBe('cache')
    expect(loads).toEqual(['exported'])
  })

  it('does not remember a fused graph that failed to load: the next load checks again', async () => {
    const cache = new MemoryGraphPassCache()
    const loads: ('exported' | 'rewritten')[] = []
    const ctx = context(cache, loads, {
      createModel: (bytes) => {
        loads.push(bytes === null ? 'exported' : 'rewritten')
        if (bytes !== null) return Promise.reject(new Error('Failed to allocate memory'))
        return load(componentModelPath(sd.dir, 'unet'))
      }
    })
    for (let attempt = 0; attempt < 2; attempt++) {
      loads.length = 0
      const result = await createModelWithGraphPasses(ctx)
      await result.model.release()
      expect(result.reports[0]?.summary).toBe(
        'attention not fused: the fused graph could not be loaded (Failed to allocate memory); the graph runs as exported'
      )
      expect(result.reports[0]?.check?.source).toBe('run')
      expect(loads).toEqual(['exported', 'rewritten', 'exported'])
    }
  })

  it('says why it did not try: turned off, another provider, a float16 graph', async () => {
    const loads: ('exported' | 'rewritten')[] = []
    const cache = new MemoryGraphPassCache()
    const off = await createModelWithGraphPasses(context(cache, loads, { fuseAttention: false }))
    await off.model.release()
    expect(off.reports.map((r) => r.summary)).toEqual(['attention not fused: turned off'])
    const dml = await createModelWithGraphPasses(
      context(cache, loads, { provider: 'dml' as ExecutionProviderName })
    )
    await dml.model.release()
    expect(dml.reports.map((r) => r.summary)).toEqual([
      'attention not fused: it runs on dml (the fusion is for the CPU provider)'
    ])
    const fp16 = path.join(MODELS, 'tiny-sd-fp16', 'unet', 'model.onnx')
    const half = await createModelWithGraphPasses(
      context(cache, loads, { file: fp16, createModel: (b) => load(fp16, b) })
    )
    await half.model.release()
    expect(half.reports.map((r) => r.summary)).toEqual([
      'attention not fused: the graph computes in float16 (the fusion is for float32 graphs on the CPU)'
    ])
    expect(loads).toEqual(['exported', 'exported'])
  })
})

describe('check verdicts kept in a folder', () => {
  let dir: string
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-pass-cache-'))
  })
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('lets a later process skip the check', async () => {
    const loads: ('exported' | 'rewritten')[] = []
    const first = await createModelWithGraphPasses(context(new FolderGraphPassCache(dir), loads))
    await first.model.release()
    expect(first.reports[0]?.check?.source).toBe('run')
    loads.length = 0
    // A new cache object reads the file, as a new process would.
    const later = await createModelWithGraphPasses(context(new FolderGraphPassCache(dir), loads))
    await later.model.release()
    expect(later.reports[0]?.check?.source).toBe('cache')
    expect(loads).toEqual(['rewritten'])
  })
})

describe('previews without a session (models info)', () => {
  it('says what will happen, and what an earlier load found', async () => {
    const cache = new MemoryGraphPassCache()
    expect(await previewGraphPasses(sd, { cache })).toEqual([
      expect.objectContaining({
        component: 'unet',
        willApply: true,
        summary: 'attention fusable (14 of 14), checked at first load'
      })
    ])
    const loaded = await createModelWithGraphPasses(context(cache, []))
    await loaded.model.release()
    expect(await previewGraphPasses(sd, { cache })).toEqual([
      expect.objectContaining({ willApply: true, summary: 'attention fused (14 of 14)' })
    ])
    expect(await previewGraphPasses(sd, { cache, provider: 'cuda' })).toEqual([
      expect.objectContaining({
        willApply: false,
        summary: 'attention not fused: it runs on cuda (the fusion is for the CPU provider)'
      })
    ])
  })
})
