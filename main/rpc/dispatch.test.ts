import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { InferenceClient } from '../inference/client/inference-client'
import { openStepwiseApi } from '../api/create-api'
import type { MainApi } from '../api/create-api'
import { dispatch } from './dispatch'

let api: MainApi

beforeAll(async () => {
  api = await openStepwiseApi({
    appVersion: '9.9.9',
    mode: 'browser',
    dataDir: mkdtempSync(join(tmpdir(), 'stepwise-dispatch-')),
    modelDirs: [],
    inference: new InferenceClient()
  })
})

describe('dispatch', () => {
  it('runs a valid operation and returns its value in an ok envelope', async () => {
    const result = await dispatch(api, 'getCapabilities', [])
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const caps = result.value as { appVersion: string; executionProviders: { name: string }[] }
    expect(caps.appVersion).toBe('9.9.9')
    expect(caps.executionProviders.map((e) => e.name)).toContain('cpu')
  })

  it('refuses unknown operations by name', async () => {
    expect(await dispatch(api, 'deleteEverything', [])).toEqual({
      ok: false,
      error: { code: 'unknown-operation', message: 'unknown operation "deleteEverything"' }
    })
    expect((await dispatch(api, 42, [])).ok).toBe(false)
  })

  it('refuses payloads that do not match the schema, saying where', async () => {
    const extra = await dispatch(api, 'getCapabilities', ['unexpected'])
    expect(extra.ok).toBe(false)
    if (extra.ok) return
    expect(extra.error.code).toBe('invalid-argument')
    expect(extra.error.message).toMatch(/^getCapabilities: /)
    const notArray = await dispatch(api, 'getCapabilities', { 0: 1 })
    expect(notArray.ok).toBe(false)
  })
})
