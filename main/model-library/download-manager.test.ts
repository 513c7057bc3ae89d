import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DownloadSummary, StepwiseEvent } from '../../shared/contract'
import { openStepwiseApi, type MainApi } from '../api/create-api'
import { InferenceClient } from '../inference/client/inference-client'
import { fixtureModel, waitFor } from '../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../testing/test-hub/test-hub-server'
import { DownloadManager } from './download-manager'

const TOKEN = 'hf_app_secret_0123456789'
let hub: TestHub
let api: MainApi
const events: StepwiseEvent[] = []

beforeAll(async () => {
  hub = await startTestHub({
    repos: [
      { repo: 'stepwise/tiny-fp16', dir: fixtureModel('tiny-sd-fp16') },
      { repo: 'stepwise/gated', dir: fixtureModel('tiny-sd-legacy'), token: TOKEN }
    ]
  })
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-downloads-'))
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir,
    modelDirs: [],
    inference: new InferenceClient(),
    downloads: (models, hubEvents) =>
      new DownloadManager({
        dataDir,
        models,
        events: hubEvents,
        env: { HF_ENDPOINT: hub.endpoint }
      })
  })
  api.onEvent((e) => events.push(e))
})
afterAll(async () => {
  await api.close()
  await hub.close()
})

function updates(id: string): DownloadSummary[] {
  return events.flatMap((e) =>
    e.type === 'download:update' && e.download.id === id ? [e.download] : []
  )
}

async function ended(id: string): Promise<DownloadSummary> {
  await waitFor(() => updates(id).some((d) => d.state !== 'running'))
  return updates(id).at(-1) as DownloadSummary
}

describe('downloads in the app', () => {
  it('lists the curated models', async () => {
    const known = await api.knownModels()
    expect(known.find((k) => k.key === 'sd-turbo')).toMatchObject({
      familyLabel: 'SD-Turbo',
      precision: 'fp16',
      requiresProvider: 'cuda'
    })
  })

  it('downloads a gated repo with a token, reports progress, and the model joins the library', async () => {
    const started = await api.startDownload({ repo: 'stepwise/gated', token: TOKEN })
    expect(started).toMatchObject({ repo: 'stepwise/gated', revision: 'main', state: 'running' })
    await expect(api.startDownload({ repo: 'stepwise/gated', token: TOKEN })).rejects.toMatchObject(
      {
        code: 'conflict'
      }
    )
    const last = await ended(started.id)
    expect(last).toMatchObject({ state: 'done', modelId: 'stepwise--gated' })
    expect(updates(started.id).some((u) => u.totalBytes !== null && u.totalBytes > 4_000_000)).toBe(
      true
    )
    expect(JSON.stringify(events)).not.toContain(TOKEN)
    expect(events).toContainEqual({ type: 'models:changed' })
    const model = (await api.listModels()).find((m) => m.id === 'stepwise--gated')
    expect(model).toMatchObject({ source: 'downloaded', familyLabel: 'SD 1.x' })
    expect(await api.modelInfo('stepwise--gated')).toMatchObject({ repo: 'stepwise/gated' })
  })

  it('fails without the token, and cancels a stalled transfer keeping the partial files', async () => {
    const denied = await api.startDownload({ repo: 'stepwise/gated' })
    expect(await ended(denied.id)).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/access token/) as unknown as string
    })

    const big = hub
      .snapshot('stepwise/tiny-fp16')
      .files.find((f) => f.path === 'unet/model.onnx_data')
    if (big === undefined) throw new Error('unet/model.onnx_data missing from the fixture')
    hub.inject({ kind: 'stall', afterBytes: 1000, match: { path: 'unet/model.onnx_data' } })
    const from = hub.requests.length
    const stalled = await api.startDownload({ repo: 'stepwise/tiny-fp16' })
    // Cancel only once the hub has answered that file's content request (the stall is used up):
    // the client names the file before its request reaches the hub, and a cancel in between
    // would leave the stall armed for the resume below.
    await waitFor(() =>
      hub.requests
        .slice(from)
        .some((r) => r.server === 'cdn' && r.path.endsWith(big.sha256) && r.status !== 0)
    )
    const cancelled = await api.cancelDownload(stalled.id)
    expect(cancelled).toMatchObject({ state: 'cancelled' })
    expect(cancelled.message).toMatch(/partial files are kept/)
    expect((await api.listDownloads()).map((d) => d.state)).toEqual(['cancelled', 'failed', 'done'])

    // Starting it again resumes and completes.
    const again = await api.startDownload({ repo: 'stepwise/tiny-fp16' })
    expect(await ended(again.id)).toMatchObject({ state: 'done', modelId: 'stepwise--tiny-fp16' })
  })

  it('says each retry as it happens, and an ended download can be dismissed', async () => {
    hub.inject({ kind: 'status', status: 503, times: 1, match: { route: 'info' } })
    const started = await api.startDownload({ repo: 'stepwise/tiny-fp16', revision: 'main' })
    await waitFor(() => updates(started.id).some((u) => u.retry !== undefined))
    const waiting = updates(started.id).find((u) => u.retry !== undefined)
    expect(waiting).toMatchObject({
      state: 'running',
      retry: { attempt: 1, of: 5, reason: expect.stringContaining('503') as unknown as string }
    })
    const last = await ended(started.id)
    expect(last.state).toBe('done')
    expect(last.retry).toBeUndefined()

    await expect(api.dismissDownload(started.id)).resolves.toBeUndefined()
    expect((await api.listDownloads()).map((d) => d.id)).not.toContain(started.id)
    await expect(api.dismissDownload(started.id)).rejects.toMatchObject({ code: 'not-found' })
  })
})
