import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobStateEvent } from '../../shared/contract'
import { InferenceClient } from '../inference/client/inference-client'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { openStepwiseApi, type MainApi } from './create-api'
import { inferenceStatusOf } from './inference-status'

let api: MainApi
const inference = new InferenceClient()
const models = fixtureModelsDir(['tiny-sd-random', 'tiny-sdxl-random'])

beforeAll(async () => {
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir: mkdtempSync(join(tmpdir(), 'stepwise-status-')),
    modelDirs: [models],
    inference,
    inferenceStatus: () => inferenceStatusOf(inference)
  })
})
afterAll(async () => api.close())

async function generate(modelId: string): Promise<void> {
  const ticket = await api.generate({
    modelId,
    prompt: 'a red circle',
    numInferenceSteps: 1,
    seed: 1
  })
  await new Promise<void>((resolve, reject) => {
    const off = api.onEvent((e) => {
      if (e.type !== 'job:state' || e.jobId !== ticket.jobId) return
      const state = (e as JobStateEvent).state
      if (state === 'done') {
        off()
        resolve()
      } else if (state === 'failed') {
        off()
        reject(new Error(e.message))
      }
    })
  })
}

describe('inference memory', () => {
  it('reports no process before the first job, then its RSS and what is loaded; a model switch frees the previous model', async () => {
    expect(await api.inferenceStatus()).toEqual({
      running: false,
      rssBytes: null,
      loadedModelPath: null,
      loadedProvider: null,
      loadedComponents: []
    })
    await generate('tiny-sd-random')
    const first = await api.inferenceStatus()
    expect(first.running).toBe(true)
    expect(first.rssBytes).toBeGreaterThan(20 * 2 ** 20)
    expect(first.loadedModelPath).toBe(join(models, 'tiny-sd-random'))
    expect(first.loadedComponents).toEqual([
      { component: 'text_encoder', provider: 'cpu' },
      { component: 'unet', provider: 'cpu' },
      { component: 'vae_decoder', provider: 'cpu' }
    ])

    await generate('tiny-sdxl-random')
    const second = await api.inferenceStatus()
    // Only the SDXL model's graphs have sessions now: the SD pipeline was released.
    expect(second.loadedModelPath).toBe(join(models, 'tiny-sdxl-random'))
    expect(second.loadedComponents.map((c) => c.component)).toEqual([
      'text_encoder',
      'text_encoder_2',
      'unet',
      'vae_decoder'
    ])
  })
})
