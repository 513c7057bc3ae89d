import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AutoPipelineForText2Image, Generator } from '..'
import { downloadModel } from './download-model'
import { COMPLETE_MARKER, MANIFEST_FILE, readDownloadStatus } from './download-state'
import { HubError } from './hub-error'
import {
  EventLog,
  FAST_RETRY,
  fixtureModel,
  listTree,
  makeTempDir,
  removeTempDir
} from '../../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../../testing/test-hub/test-hub-server'

// What a real repository carries besides the ONNX export; none of it may be downloaded.
const EXTRAS: Record<string, string> = {
  'README.md': '# tiny sd\n',
  '.gitattributes': '*.onnx filter=lfs diff=lfs merge=lfs -text\n',
  'sample.png': 'not really a png',
  'unet/diffusion_pytorch_model.safetensors': 'pytorch weights',
  'vae/config.json': '{}',
  'vae/diffusion_pytorch_model.safetensors': 'pytorch weights',
  'text_encoder/model.safetensors': 'pytorch weights',
  'safety_checker/model.onnx': 'a safety checker graph',
  'safety_checker/config.json': '{}',
  'tokenizer/README.md': 'docs'
}

let hub: TestHub
let tmp: string

beforeAll(async () => {
  hub = await startTestHub({
    pageSize: 7,
    repos: [
      { repo: 'stepwise/tiny-sd', dir: fixtureModel('tiny-sd-random'), extraFiles: EXTRAS },
      { repo: 'stepwise/tiny-sd-fp16', dir: fixtureModel('tiny-sd-fp16') },
      { repo: 'stepwise/tiny-sd-legacy', revision: 'onnx', dir: fixtureModel('tiny-sd-legacy') },
      {
        repo: 'stepwise/torch-only',
        extraFiles: {
          'model_index.json': '{}',
          'scheduler/scheduler_config.json': '{}',
          'unet/diffusion_pytorch_model.safetensors': 'w',
          'vae/diffusion_pytorch_model.safetensors': 'w'
        }
      }
    ]
  })
  tmp = await makeTempDir()
})

afterAll(async () => {
  await hub.close()
  await removeTempDir(tmp)
})

async function generateLatents(dir: string): Promise<Float32Array> {
  const pipe = await AutoPipelineForText2Image.fromPretrained(dir, { executionProviders: ['cpu'] })
  try {
    const out = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 2,
      height: 64,
      width: 64,
      generator: new Generator().manualSeed(7),
      outputType: 'latent'
    })
    return Float32Array.from(out.images.data as Float32Array)
  } finally {
    await pipe.release()
  }
}

describe('downloadModel from the test hub', () => {
  it('fetches only the pipeline files, verified, and the engine runs the result', async () => {
    const dest = path.join(tmp, 'tiny-sd')
    const log = new EventLog()
    const result = await downloadModel({
      repo: 'stepwise/tiny-sd',
      dest,
      endpoint: hub.endpoint,
      onEvent: log.push,
      retry: FAST_RETRY,
      progressIntervalMs: 0
    })

    const fixture = await listTree(fixtureModel('tiny-sd-random'))
    const got = await listTree(dest)
    expect(got).toEqual([COMPLETE_MARKER, MANIFEST_FILE, ...fixture].sort())
    for (const rel of fixture) {
      const [a, b] = await Promise.all([
        fs.readFile(path.join(dest, rel)),
        fs.readFile(path.join(fixtureModel('tiny-sd-random'), rel))
      ])
      expect(a.equals(b), rel).toBe(true)
    }
    expect(result.commit).toBe(hub.snapshot('stepwise/tiny-sd').commit)
    expect(result.files.map((f) => f.path).sort()).toEqual(fixture)
    expect(result.downloadedBytes).toBe(result.totalBytes)

    // Skipped: every extra, each with its reason.
    const plan = log.of('plan')[0]
    expect(plan?.skipped.map((s) => s.path).sort()).toEqual(Object.keys(EXTRAS).sort())
    expect(plan?.skipped.find((s) => s.path === 'safety_checker/model.onnx')?.reason).toMatch(
      /safety checker/
    )
    // Nothing that was skipped was requested.
    const requested = hub.requests.filter((r) => r.route === 'resolve').map((r) => r.path)
    for (const extra of Object.keys(EXTRAS)) {
      expect(requested.some((p) => p.endsWith(`/${extra}`))).toBe(false)
    }

    // Events: resolved, plan, per-file start/done, monotonic progress, complete last.
    const types = log.events.map((e) => e.type)
    expect(types[0]).toBe('resolved')
    expect(types[1]).toBe('plan')
    expect(types[types.length - 1]).toBe('complete')
    const done = log.of('file-done')
    expect(done.map((d) => d.path).sort()).toEqual(fixture)
    expect(done.find((d) => d.path === 'unet/model.onnx_data')?.verifiedBy).toBe('sha256')
    expect(done.find((d) => d.path === 'unet/config.json')?.verifiedBy).toBe('git-sha1')
    const progress = log.of('progress')
    expect(progress.length).toBeGreaterThan(0)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]?.doneBytes).toBeGreaterThanOrEqual(progress[i - 1]?.doneBytes ?? 0)
    }
    expect(progress[progress.length - 1]?.doneBytes).toBe(result.totalBytes)
    expect(progress.every((p) => p.totalBytes === result.totalBytes)).toBe(true)

    // LFS files came from the CDN through the hub's redirect; the listing was paginated.
    const cdnPaths = hub.requests.filter((r) => r.server === 'cdn' && r.status === 200)
    expect(cdnPaths.length).toBe(fixture.filter((f) => /\.(onnx|onnx_data)$/.test(f)).length)
    expect(hub.requests.filter((r) => r.route === 'tree').length).toBeGreaterThan(1)

    const status = await readDownloadStatus(dest)
    expect(status.state).toBe('complete')

    // The engine opens the download and produces the same latents as from the fixture itself.
    const [fromDownload, fromFixture] = [
      await generateLatents(dest),
      await generateLatents(fixtureModel('tiny-sd-random'))
    ]
    expect(fromDownload).toEqual(fromFixture)
  })

  it('does nothing but check when the folder is already complete', async () => {
    const dest = path.join(tmp, 'tiny-sd')
    const before = hub.requests.length
    const log = new EventLog()
    const result = await downloadModel({
      repo: 'stepwise/tiny-sd',
      dest,
      endpoint: hub.endpoint,
      onEvent: log.push
    })
    expect(result.downloadedBytes).toBe(0)
    const newRequests = hub.requests.slice(before)
    expect(newRequests.some((r) => r.route === 'resolve' || r.route === 'cdn')).toBe(false)
    expect(log.of('file-done').every((d) => d.reused)).toBe(true)
  })

  it.each([
    ['stepwise/tiny-sd-fp16', 'main', 'tiny-sd-fp16'],
    ['stepwise/tiny-sd-legacy', 'onnx', 'tiny-sd-legacy']
  ])('downloads %s@%s and the engine runs it', async (repo, revision, fixture) => {
    const dest = path.join(tmp, fixture)
    await downloadModel({ repo, revision, dest, endpoint: hub.endpoint, retry: FAST_RETRY })
    expect((await listTree(dest)).filter((f) => !f.startsWith('.'))).toEqual(
      await listTree(fixtureModel(fixture))
    )
    const latents = await generateLatents(dest)
    expect(latents.length).toBe(4 * 8 * 8)
    expect(latents.every(Number.isFinite)).toBe(true)
  })

  it('refuses a repository without an ONNX pipeline, naming what is missing', async () => {
    const dest = path.join(tmp, 'torch-only')
    const error = await downloadModel({
      repo: 'stepwise/torch-only',
      dest,
      endpoint: hub.endpoint
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HubError)
    expect((error as HubError).code).toBe('not-onnx-pipeline')
    expect((error as HubError).message).toMatch(
      /stepwise\/torch-only@main is not an ONNX diffusion pipeline: it has no unet\/model\.onnx, text_encoder\/model\.onnx, vae_decoder\/model\.onnx\. It holds PyTorch weights/
    )
    expect(await listTree(dest)).toEqual([])
  })

  it('refuses a destination that holds other files or another repository', async () => {
    const foreign = path.join(tmp, 'foreign')
    await fs.mkdir(foreign, { recursive: true })
    await fs.writeFile(path.join(foreign, 'notes.txt'), 'mine')
    await expect(
      downloadModel({ repo: 'stepwise/tiny-sd', dest: foreign, endpoint: hub.endpoint })
    ).rejects.toThrow(/is not empty and holds no Stepwise download; choose an empty or new folder/)
    await expect(
      downloadModel({
        repo: 'stepwise/tiny-sd-fp16',
        dest: path.join(tmp, 'tiny-sd'),
        endpoint: hub.endpoint
      })
    ).rejects.toThrow(/already holds a download of stepwise\/tiny-sd; choose another folder/)
    expect(await fs.readFile(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine')
  })

  it('reads the endpoint from HF_ENDPOINT when no option is given', async () => {
    const dest = path.join(tmp, 'via-env')
    const result = await downloadModel({
      repo: 'stepwise/tiny-sd-fp16',
      dest,
      env: { HF_ENDPOINT: hub.endpoint }
    })
    expect(result.commit).toBe(hub.snapshot('stepwise/tiny-sd-fp16').commit)
  })
})
