import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseA1111Parameters, toGenerateParamsInput } from '../../shared/a1111-parameters'
import type { JobDoneEvent, StepwiseEvent } from '../../shared/contract'
import { GenerateParamsSchema } from '../../shared/params'
import { decodePng, encodePng, readPngText } from '../engine'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { InferenceClient } from '../inference/client/inference-client'
import { dispatch } from '../rpc/dispatch'
import { openStepwiseApi } from './create-api'
import type { MainApi } from './create-api'

// Image-to-image and inpainting through the main-process API and a real inference process:
// pictures stored once by content, jobs planned with their start step, results in history with
// the A1111 fields that restore the picture, the mask and the strength.
const PICTURE = readFileSync(resolve(__dirname, '../engine/pipelines/fixtures/blue-square-64.png'))
const MASK = readFileSync(resolve(__dirname, '../engine/pipelines/fixtures/half-mask-64.png'))
let api: MainApi
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-image-api-'))
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir,
    modelDirs: [fixtureModelsDir(['tiny-sd-random'])],
    inference: new InferenceClient()
  })
})
afterAll(async () => api.close())

async function ok<T>(operation: string, args: unknown[]): Promise<T> {
  const result = await dispatch(api, operation, args)
  if (!result.ok) throw new Error(result.error.message)
  return result.value as T
}

function done(jobId: string): Promise<JobDoneEvent> {
  return new Promise((settle) => {
    const off = api.onEvent((e: StepwiseEvent) => {
      if (e.type === 'job:done' && e.jobId === jobId) {
        off()
        settle(e)
      }
    })
  })
}

describe('image runs through the API', () => {
  it('stores a picture once by the SHA-256 of its PNG and serves it back', async () => {
    const a = await ok<{ imageId: string; width: number }>('putInputImage', [
      new Uint8Array(PICTURE)
    ])
    const b = await ok<{ imageId: string }>('putInputImage', [new Uint8Array(PICTURE)])
    expect(a).toMatchObject({ width: 64, height: 64 })
    expect(b.imageId).toBe(a.imageId)
    expect(readdirSync(join(dataDir, 'history', 'inputs'))).toEqual([`${a.imageId}.png`])
    const png = await ok<Uint8Array>('inputImage', [a.imageId])
    expect(decodePng(png).width).toBe(64)
  })

  it('refuses a file that is not a picture, an unknown id and a mask without a picture', async () => {
    const bad = await dispatch(api, 'putInputImage', [new TextEncoder().encode('hello')])
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: 'the picture is not a PNG or JPEG picture' }
    })
    const missing = await dispatch(api, 'inputImage', ['0'.repeat(64)])
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } })
    const maskOnly = await dispatch(api, 'generate', [{ prompt: 'x', maskImage: '0'.repeat(64) }])
    expect(maskOnly).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/Mask: a mask needs an input image/) }
    })
    const strength = await dispatch(api, 'generate', [
      { prompt: 'x', initImage: '0'.repeat(64), strength: 0 }
    ])
    expect(strength).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(/Strength: must be a number above 0 and at most 1 \(got 0\)/)
      }
    })
  })

  it('plans, runs and stores an inpainting job; its parameters restore picture, mask and strength', async () => {
    const { imageId } = await ok<{ imageId: string }>('putInputImage', [new Uint8Array(PICTURE)])
    const mask = await ok<{ imageId: string }>('putInputImage', [new Uint8Array(MASK)])
    const params = {
      prompt: 'a yellow circle',
      initImage: imageId,
      maskImage: mask.imageId,
      strength: 0.6,
      numInferenceSteps: 5,
      seed: 4,
      scheduler: 'DDIMScheduler'
    }
    const plan = await ok<{ numTimesteps: number; startStep: number }>('planRun', [params])
    expect(plan).toMatchObject({ numTimesteps: 3, startStep: 2 })
    const ticket = await ok<{ jobId: string; numTimesteps: number; startStep: number }>(
      'generate',
      [params]
    )
    expect(ticket).toMatchObject({ numTimesteps: 3, startStep: 2 })
    const event = await done(ticket.jobId)
    expect(event.result).toMatchObject({ strength: 0.6, startStep: 2, stepsRun: 3 })
    const entry = api.history.get(event.historyId as string)
    expect(entry.params).toMatchObject({
      initImage: imageId,
      maskImage: mask.imageId,
      strength: 0.6
    })
    const png = await ok<Uint8Array>('historyImage', [{ id: entry.id }])
    const parsed = parseA1111Parameters(readPngText(png)['parameters'] ?? '')
    expect(parsed.fields).toMatchObject({
      'Denoising strength': '0.6',
      'Init image': imageId,
      Mask: mask.imageId,
      'Mask blur': '0'
    })
    const restored = GenerateParamsSchema.parse(toGenerateParamsInput(parsed))
    expect(restored).toMatchObject({ initImage: imageId, maskImage: mask.imageId, strength: 0.6 })
  })

  it('a mask of another size is resized, with a notice', async () => {
    const { imageId } = await ok<{ imageId: string }>('putInputImage', [new Uint8Array(PICTURE)])
    const small = encodePng({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).fill(255) })
    const mask = await ok<{ imageId: string }>('putInputImage', [small])
    const ticket = await ok<{ jobId: string }>('generate', [
      { prompt: 'x', initImage: imageId, maskImage: mask.imageId, numInferenceSteps: 2 }
    ])
    const event = await done(ticket.jobId)
    expect(event.result.warnings).toContain('the mask (32×32) was resized to 64×64')
  })

  it('a stopped image run keeps no run state: Continue and Branch refuse it, saying why', async () => {
    const { imageId } = await ok<{ imageId: string }>('putInputImage', [new Uint8Array(PICTURE)])
    const params = {
      prompt: 'a red square',
      initImage: imageId,
      strength: 0.8,
      numInferenceSteps: 5,
      seed: 2,
      stopAtStep: 1,
      keepPreviews: true
    }
    const ticket = await ok<{ jobId: string }>('generate', [params])
    const event = await done(ticket.jobId)
    expect(event.result).toMatchObject({ interrupted: true, stepsRun: 2 })
    const entry = api.history.get(event.historyId as string)
    expect(entry.snapshotSteps ?? []).toEqual([])
    const fromHistory = await dispatch(api, 'generate', [
      { ...params, initImage: null, stopAtStep: null, resumeFrom: { historyId: entry.id, step: 1 } }
    ])
    expect(fromHistory).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-argument',
        message: expect.stringMatching(
          /image-to-image and inpainting runs cannot be continued or branched/
        )
      }
    })
    const fromJob = await dispatch(api, 'generate', [
      { ...params, initImage: null, stopAtStep: null, resumeFrom: { jobId: ticket.jobId, step: 0 } }
    ])
    expect(fromJob).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(
          /image-to-image and inpainting runs cannot be continued or branched/
        )
      }
    })
    const withPicture = await dispatch(api, 'generate', [
      { ...params, stopAtStep: null, resumeFrom: { jobId: ticket.jobId, step: 0 } }
    ])
    expect(withPicture).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(
          /a continued run starts from its parent's latents, not from a picture/
        )
      }
    })
  })
})
