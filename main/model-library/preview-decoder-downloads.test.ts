import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DownloadSummary, StepwiseEvent } from '../../shared/contract'
import { fixtureModelsDir, SHIPPED_DIR, TAESD_DIR } from '../../testing/fixture-models'
import { jobEventFilters } from '../../testing/job-events'
import { listTree, waitFor } from '../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../testing/test-hub/test-hub-server'
import { openStepwiseApi, type MainApi } from '../api/create-api'
import { InferenceClient } from '../inference/client/inference-client'
import { DownloadManager } from './download-manager'
import { PREVIEW_DECODERS_FOLDER } from './preview-decoder-shelf'

// A TAESD decoder downloaded through the app's download manager from the test hub (standing in
// for huggingface.co's deinferno/taesd-onnx, in its layout: vae_decoder/ and vae_encoder/ graphs,
// a README and the export script), then attached to the SD 1.x model and used for tiny previews
// by a real inference process.
let hub: TestHub
let api: MainApi
let dataDir = ''
const events: StepwiseEvent[] = []
const { statesOf, stepsOf } = jobEventFilters(() => events)

beforeAll(async () => {
  hub = await startTestHub({
    repos: [
      {
        repo: 'deinferno/taesd-onnx',
        dir: TAESD_DIR,
        extraFiles: {
          'vae_encoder/model.onnx': readFileSync(join(TAESD_DIR, 'vae_decoder', 'model.onnx')),
          'README.md': '# TAESD as ONNX\n',
          'convert_to_onnx.py': 'print("export")\n'
        }
      }
    ]
  })
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-decoders-'))
  const models = fixtureModelsDir(['tiny-sd-random', 'tiny-sdxl-random'])
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir,
    modelDirs: [models, join(SHIPPED_DIR, '..')],
    inference: new InferenceClient(),
    downloads: (registry, hubEvents) =>
      new DownloadManager({
        dataDir,
        models: registry,
        events: hubEvents,
        env: { HF_ENDPOINT: hub.endpoint }
      })
  })
  api.onEvent((e) => events.push(e))
}, 60_000)
afterAll(async () => {
  await api.close()
  await hub.close()
})

async function ended(id: string): Promise<DownloadSummary> {
  const updates = (): DownloadSummary[] =>
    events.flatMap((e) =>
      e.type === 'download:update' && e.download.id === id ? [e.download] : []
    )
  await waitFor(() => updates().some((d) => d.state !== 'running'))
  return updates().at(-1) as DownloadSummary
}

async function previewsOf(id: string): Promise<unknown> {
  return (await api.listModels()).find((m) => m.id === id)?.previews
}

describe('tiny preview decoders for real models', () => {
  it('reports each model’s preview methods, its own decoder, and the download that fits', async () => {
    expect(await previewsOf('stepwise-shapes-64')).toEqual({
      methods: ['linear', 'tiny', 'vae'],
      defaultMethod: 'tiny',
      decoder: {
        source: 'model',
        label: 'preview_decoder/model.onnx',
        path: join(SHIPPED_DIR, 'preview_decoder')
      },
      offer: null
    })
    expect(await previewsOf('tiny-sd-random')).toMatchObject({
      methods: ['linear', 'vae'],
      defaultMethod: 'linear',
      decoder: null,
      offer: { key: 'taesd', repo: 'deinferno/taesd-onnx' }
    })
    expect(await previewsOf('tiny-sdxl-random')).toMatchObject({
      offer: { key: 'taesdxl', repo: 'julienkay/taesdxl' }
    })
    const known = await api.knownModels()
    expect(known.filter((k) => k.kind === 'preview-decoder').map((k) => k.repo)).toEqual([
      'deinferno/taesd-onnx',
      'julienkay/taesdxl',
      'julienkay/taesd'
    ])
  })

  it('refuses tiny previews on a model without a decoder, before queueing', async () => {
    await expect(
      api.generate({ modelId: 'tiny-sd-random', prompt: 'x', previewMethod: 'tiny' })
    ).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringContaining(
        'Preview method: tiny-sd-random has no tiny preview decoder, so it cannot preview with "tiny" (it offers linear, vae); download TAESD tiny preview decoder (SD 1.x / 2.x) (deinferno/taesd-onnx) in the Models panel'
      ) as unknown as string
    })
    await expect(
      (async () =>
        api.generate({ modelId: 'tiny-sd-random', prompt: 'x', previewMethod: 'taesd' }))()
    ).rejects.toMatchObject({
      code: 'invalid-argument',
      message:
        'Cannot generate: Preview method: unknown preview method "taesd": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
    })
  })

  it('downloads only the decoder, attaches it to the SD 1.x model, and tiny previews run', async () => {
    const started = await api.startDownload({ repo: 'deinferno/taesd-onnx' })
    expect(started).toMatchObject({
      kind: 'preview-decoder',
      dest: join(dataDir, PREVIEW_DECODERS_FOLDER, 'deinferno--taesd-onnx')
    })
    const done = await ended(started.id)
    expect(done).toMatchObject({ state: 'done', previewFor: ['tiny-sd-random'] })
    expect(done.modelId).toBeUndefined()
    expect(
      (await listTree(started.dest)).filter((f) => !f.startsWith('.stepwise-download'))
    ).toEqual(['vae_decoder/model.onnx'])
    expect(events).toContainEqual({ type: 'models:changed' })
    // Not a model: the library does not list it.
    expect((await api.listModels()).map((m) => m.id).sort()).toEqual([
      'stepwise-shapes-64',
      'tiny-sd-random',
      'tiny-sdxl-random'
    ])
    expect(await previewsOf('tiny-sd-random')).toEqual({
      methods: ['linear', 'tiny', 'vae'],
      defaultMethod: 'tiny',
      decoder: {
        source: 'downloaded',
        label: 'TAESD tiny preview decoder (SD 1.x / 2.x) (deinferno/taesd-onnx)',
        path: started.dest,
        repo: 'deinferno/taesd-onnx'
      },
      offer: null
    })
    // TAESD decodes SD 1.x/2.x latents only; the shipped model keeps its own decoder.
    expect(await previewsOf('tiny-sdxl-random')).toMatchObject({ decoder: null })
    expect(await previewsOf('stepwise-shapes-64')).toMatchObject({ decoder: { source: 'model' } })

    // The model's default is tiny now; the inference process loads the downloaded decoder.
    const ticket = await api.generate({
      modelId: 'tiny-sd-random',
      prompt: 'a red circle',
      numInferenceSteps: 2,
      seed: 1,
      provider: 'cpu'
    })
    await waitFor(() => statesOf(ticket.jobId).includes('done'), 60_000)
    const steps = stepsOf(ticket.jobId)
    expect(steps.map((s) => s.previewMethod)).toEqual(['tiny', 'tiny', 'tiny'])
    expect(steps.every((s) => (s.previewMs ?? 0) > 0)).toBe(true)
    const sizes = steps.flatMap((s) =>
      s.preview === null ? [] : [[s.preview.width, s.preview.height]]
    )
    expect(sizes.length).toBeGreaterThan(0)
    expect(sizes.every(([w, h]) => w === 64 && h === 64)).toBe(true)
  }, 120_000)
})
