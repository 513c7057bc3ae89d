import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { StepwiseEvent } from '../../shared/contract'
import { decodePng, readPngText } from '../engine'
import { sampleResult } from '../../testing/history/sample-result'
import { dispatch } from '../rpc/dispatch'
import { InferenceClient } from '../inference/client/inference-client'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { openStepwiseApi } from './create-api'
import type { MainApi } from './create-api'

const FIXTURES = fixtureModelsDir()
let api: MainApi
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-api-'))
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir,
    modelDirs: [FIXTURES],
    inference: new InferenceClient()
  })
})

describe('the main-process API', () => {
  it('reports capabilities with the default model', async () => {
    const caps = await api.getCapabilities()
    expect(caps).toMatchObject({ appVersion: '0.1.0', mode: 'browser' })
    expect(caps.defaultModelId).toBe('tiny-sd-random')
  })

  it('lists the configured models', async () => {
    const result = await dispatch(api, 'listModels', [])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect((result.value as { id: string }[]).map((m) => m.id)).toEqual([
      'tiny-sd-random',
      'tiny-sdxl-random'
    ])
  })

  it('lists, gets, serves and deletes history under <dataDir>/history', async () => {
    const events: StepwiseEvent[] = []
    const unsubscribe = api.onEvent((e) => events.push(e))
    const entry = await api.history.add(sampleResult('a green triangle'))
    expect(api.history.files.dir).toBe(join(dataDir, 'history'))

    const listed = await dispatch(api, 'historyList', [])
    expect(listed).toEqual({ ok: true, value: { entries: [entry], notice: null } })
    expect(await dispatch(api, 'historyGet', [entry.id])).toEqual({ ok: true, value: entry })
    const image = await dispatch(api, 'historyImage', [{ id: entry.id }])
    if (!image.ok) throw new Error(image.error.message)
    const png = image.value as Uint8Array
    expect(decodePng(png).width).toBe(64)
    expect(readPngText(png)['parameters']).toMatch(/^a green triangle\nNegative prompt: blurry\n/)

    expect(await dispatch(api, 'historyImage', [{ id: '../../etc/passwd' }])).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' }
    })
    expect(await dispatch(api, 'historyGet', ['nope'])).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no history entry "nope"' }
    })
    expect(await dispatch(api, 'historyDelete', [entry.id])).toEqual({ ok: true })
    expect(events).toEqual([{ type: 'history:changed' }])
    expect(await dispatch(api, 'historyDelete', [entry.id])).toMatchObject({
      ok: false,
      error: { code: 'not-found' }
    })
    unsubscribe()
  })
})

describe('showing a result in its folder', () => {
  it('opens the file manager on the stored PNG in the app, and says what to do instead in browser mode', async () => {
    const entry = await api.history.add(sampleResult('a blue square'))
    // Browser mode has no file manager to open: the page is told to use Save.
    expect(await dispatch(api, 'showHistoryFile', [entry.id])).toEqual({
      ok: false,
      error: {
        code: 'unavailable',
        message: expect.stringContaining('use Save to download the image') as unknown as string
      }
    })
    const shown: string[] = []
    const app = await openStepwiseApi({
      appVersion: '0.1.0',
      mode: 'electron',
      dataDir,
      modelDirs: [FIXTURES],
      inference: new InferenceClient(),
      // Electron's shell.showItemInFolder in the app (main/index.ts).
      showItemInFolder: (path) => shown.push(path)
    })
    try {
      expect(await dispatch(app, 'showHistoryFile', [entry.id])).toEqual({ ok: true })
      expect(shown).toEqual([app.history.files.image(entry.id)])
      expect(shown[0]?.startsWith(join(dataDir, 'history'))).toBe(true)
      expect(await dispatch(app, 'showHistoryFile', ['nope'])).toMatchObject({
        ok: false,
        error: { code: 'not-found' }
      })
      expect(shown).toHaveLength(1)
    } finally {
      await app.close()
    }
  })
})
