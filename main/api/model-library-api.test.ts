import { mkdtempSync, readFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobDoneEvent, StepwiseEvent } from '../../shared/contract'
import { InferenceClient } from '../inference/client/inference-client'
import { providerAvailability } from '../engine'
import { FIXTURE_MODELS, fixtureModelsDir } from '../../testing/fixture-models'
import { dispatch } from '../rpc/dispatch'
import { expandFolderPath, openStepwiseApi } from './create-api'
import type { MainApi } from './create-api'

let api: MainApi
let dataDir: string
const events: StepwiseEvent[] = []

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-library-api-'))
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir,
    modelDirs: [fixtureModelsDir(['tiny-sd-random'])],
    inference: new InferenceClient()
  })
  api.onEvent((e) => events.push(e))
})
afterAll(async () => api.close())

describe('model library operations', () => {
  it('adds a folder by path, lists it, describes it, and forgets it', async () => {
    const dir = join(FIXTURE_MODELS, 'tiny-sd-legacy')
    const added = await dispatch(api, 'addModel', [dir])
    expect(added).toMatchObject({
      ok: true,
      value: { id: 'tiny-sd-legacy', source: 'added', familyLabel: 'SD 1.x' }
    })
    expect(events).toContainEqual({ type: 'models:changed' })
    const listed = await dispatch(api, 'listModels', [])
    expect(listed.ok && (listed.value as { id: string }[]).map((m) => m.id)).toEqual([
      'tiny-sd-random',
      'tiny-sd-legacy'
    ])
    const info = await dispatch(api, 'modelInfo', ['tiny-sd-legacy'])
    expect(info).toMatchObject({
      ok: true,
      value: { layout: 'diffusers-legacy', precision: 'fp32' }
    })
    expect(readFileSync(join(dataDir, 'model-library.json'), 'utf8')).toContain(dir)

    expect(await dispatch(api, 'removeModel', ['tiny-sd-random'])).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: expect.stringMatching(/built-in/) as unknown }
    })
    expect(await dispatch(api, 'removeModel', ['tiny-sd-legacy'])).toEqual({ ok: true })
    const library = await dispatch(api, 'modelLibrary', [])
    expect(library).toEqual({
      ok: true,
      value: { models: [expect.objectContaining({ id: 'tiny-sd-random' })], problems: [] }
    })
  })

  it('refuses relative paths and unusable folders with specific messages', async () => {
    expect(await dispatch(api, 'addModel', ['models/sd15'])).toEqual({
      ok: false,
      error: {
        code: 'invalid-argument',
        message: 'Cannot add the model: Folder: must be an absolute folder path (or start with ~)'
      }
    })
    const missing = await dispatch(api, 'addModel', [join(dataDir, 'nope')])
    expect(missing).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-argument',
        message: expect.stringMatching(/does not exist/) as unknown
      }
    })
    expect(expandFolderPath('~/models/x')).toBe(join(homedir(), 'models', 'x'))
  })

  it('has no folder dialog and no downloads service when none is given (browser-mode tests)', async () => {
    expect(await dispatch(api, 'pickModelFolder', [])).toMatchObject({
      ok: false,
      error: { code: 'unavailable' }
    })
    expect(await dispatch(api, 'startDownload', [{ repo: 'a/b' }])).toMatchObject({
      ok: false,
      error: { code: 'unavailable' }
    })
    expect(await dispatch(api, 'startDownload', [{ repo: 'not a repo' }])).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' }
    })
  })
})

describe('provider fallback, end to end', () => {
  it('a job asking for an unavailable provider runs on cpu, says why, and records cpu', async () => {
    const missing = providerAvailability().find((a) => !a.available)
    if (missing === undefined) throw new Error('every provider is available on this machine')
    const ticket = await api.generate({
      prompt: 'a red circle',
      numInferenceSteps: 2,
      seed: 3,
      provider: missing.name
    })
    const done = await new Promise<JobDoneEvent>((resolve) => {
      const check = (): void => {
        const e = events.find(
          (x): x is JobDoneEvent => x.type === 'job:done' && x.jobId === ticket.jobId
        )
        if (e !== undefined) resolve(e)
        else setTimeout(check, 50)
      }
      check()
    })
    const warning = events.find((e) => e.type === 'job:warning' && e.jobId === ticket.jobId)
    // The notice comes as soon as loading is done, before the first step, and only once.
    const ofJob = events.filter((e) => 'jobId' in e && e.jobId === ticket.jobId)
    const firstStep = ofJob.findIndex((e) => e.type === 'job:step')
    expect(ofJob.findIndex((e) => e.type === 'job:warning')).toBeLessThan(firstStep)
    const notices = ofJob.flatMap((e) => (e.type === 'job:warning' ? [e.message] : []))
    expect(new Set(notices).size).toBe(notices.length)
    expect(warning).toMatchObject({
      message: expect.stringContaining(
        `${missing.name} (not available: ${missing.reason})`
      ) as unknown
    })
    expect(done.result.provider).toBe('cpu')
    expect(done.result.warnings.join('\n')).toContain(`${missing.name} (not available`)
    const entry = await api.historyGet(done.historyId ?? '')
    expect(entry.result.provider).toBe('cpu')
    expect(entry.params.provider).toBe(missing.name)
  })
})
