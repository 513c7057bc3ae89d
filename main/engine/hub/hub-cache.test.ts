import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AutoPipelineForText2Image, StableDiffusionPipeline } from '..'
import type { DownloadEvent } from './download-events'
import { HubError } from './hub-error'
import { defaultHubCacheDir, snapshotDownload } from './hub-cache'
import {
  fixtureModel,
  listTree,
  makeTempDir,
  removeTempDir
} from '../../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../../testing/test-hub/test-hub-server'

/**
 * `fromPretrained('owner/name')` as diffusers does it (issue 17: it said "the folder does not
 * exist"): a Hub id is looked up in the Hugging Face cache, `models--owner--name/refs/<revision>`
 * → `snapshots/<commit>`, used offline when it is there, and downloaded into it otherwise through
 * the same verified download as the app's. Against the repository's local stand-in for the Hub.
 */

const SHIPPED = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')
const OPTIONS = { executionProviders: ['cpu' as const], intraOpNumThreads: 1 }

let hub: TestHub
let tmp: string
const savedEnv = { ...process.env }

beforeAll(async () => {
  hub = await startTestHub({
    repos: [
      { repo: 'stepwise/stepwise-shapes-64', dir: SHIPPED },
      { repo: 'stepwise/tiny-sd', revision: 'onnx', dir: fixtureModel('tiny-sd-random') },
      { repo: 'stepwise/gated-sd', dir: fixtureModel('tiny-sd-random'), token: 'hf_secret' }
    ]
  })
  tmp = await makeTempDir()
})
afterEach(() => {
  process.env = { ...savedEnv }
})
afterAll(async () => {
  await hub.close()
  await removeTempDir(tmp)
})

const hubRequests = (): number => hub.requests.filter((r) => r.server === 'hub').length

describe('fromPretrained with a Hugging Face Hub id', () => {
  it('downloads into the Hugging Face cache layout, then opens the snapshot offline', async () => {
    process.env.HF_ENDPOINT = hub.endpoint
    const cacheDir = path.join(tmp, 'cache-a')
    const events: DownloadEvent['type'][] = []
    const pipe = await AutoPipelineForText2Image.fromPretrained('stepwise/stepwise-shapes-64', {
      ...OPTIONS,
      cacheDir,
      onDownload: (e) => events.push(e.type)
    })
    expect(pipe).toBeInstanceOf(StableDiffusionPipeline)
    expect(events[0]).toBe('resolved')
    expect(events.at(-1)).toBe('complete')
    const repoDir = path.join(cacheDir, 'models--stepwise--stepwise-shapes-64')
    const commit = (await fs.readFile(path.join(repoDir, 'refs', 'main'), 'utf8')).trim()
    expect(commit).toMatch(/^[0-9a-f]{40}$/)
    const snapshot = path.join(repoDir, 'snapshots', commit)
    expect(pipe.folder.dir).toBe(snapshot)
    expect(await listTree(snapshot)).toContain('unet/model.onnx')
    const out = await pipe.call({ prompt: 'a red circle', numInferenceSteps: 2 })
    expect(out.images[0]?.width).toBe(64)
    await pipe.release()

    // Offline-first: the snapshot is there, so not one request reaches the Hub, even with the
    // endpoint gone.
    const before = hubRequests()
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9'
    const again = await StableDiffusionPipeline.fromPretrained('stepwise/stepwise-shapes-64', {
      ...OPTIONS,
      cacheDir
    })
    expect(again.folder.dir).toBe(snapshot)
    expect(hubRequests()).toBe(before)
    await again.release()
  })

  it('takes a revision, a token and HF_HUB_CACHE, as huggingface_hub does', async () => {
    process.env.HF_ENDPOINT = hub.endpoint
    process.env.HF_HUB_CACHE = path.join(tmp, 'cache-b')
    expect(defaultHubCacheDir()).toBe(process.env.HF_HUB_CACHE)
    const onnx = await StableDiffusionPipeline.fromPretrained('stepwise/tiny-sd', {
      ...OPTIONS,
      revision: 'onnx'
    })
    expect(onnx.folder.dir).toContain(
      path.join(process.env.HF_HUB_CACHE, 'models--stepwise--tiny-sd', 'snapshots')
    )
    const commit = path.basename(onnx.folder.dir)
    // A commit as the revision needs no ref at all.
    const byCommit = await snapshotDownload('stepwise/tiny-sd', { revision: commit })
    expect(byCommit).toMatchObject({ commit, dir: onnx.folder.dir, downloaded: false })

    await expect(
      StableDiffusionPipeline.fromPretrained('stepwise/gated-sd', OPTIONS)
    ).rejects.toThrow(/stepwise\/gated-sd is not a folder here .* needs an access token/)
    const gated = await StableDiffusionPipeline.fromPretrained('stepwise/gated-sd', {
      ...OPTIONS,
      token: 'hf_secret'
    })
    expect(gated.folder.dir).toContain('models--stepwise--gated-sd')
    // The token is never written into the cache.
    for (const file of await listTree(
      path.join(process.env.HF_HUB_CACHE, 'models--stepwise--gated-sd')
    )) {
      const text = await fs
        .readFile(path.join(process.env.HF_HUB_CACHE, 'models--stepwise--gated-sd', file))
        .catch(() => Buffer.alloc(0))
      expect(text.includes('hf_secret'), file).toBe(false)
    }
  })

  it('says what is wrong for an unknown id, and when offline without the snapshot', async () => {
    process.env.HF_ENDPOINT = hub.endpoint
    const cacheDir = path.join(tmp, 'cache-c')
    const missing = await AutoPipelineForText2Image.fromPretrained('stepwise/no-such-model', {
      cacheDir
    }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(HubError)
    expect((missing as HubError).code).toBe('not-found')
    expect((missing as Error).message).toMatch(
      /^stepwise\/no-such-model is not a folder here \(.*no-such-model does not exist\), and as a Hugging Face Hub id: /
    )
    process.env.HF_HUB_OFFLINE = '1'
    await expect(
      AutoPipelineForText2Image.fromPretrained('stepwise/stepwise-shapes-64', { cacheDir })
    ).rejects.toThrow(/is not in the Hugging Face cache .* downloads are off \(HF_HUB_OFFLINE\)/)
    // A path that is neither a folder nor an id keeps the folder's own message.
    await expect(AutoPipelineForText2Image.fromPretrained('./not/here/at-all')).rejects.toThrow(
      /does not exist or is not a folder/
    )
  })
})
