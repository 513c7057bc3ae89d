import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type {
  GenerateParamsInput,
  JobState,
  JobStepEvent,
  StepwiseEvent
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { GenerateParamsSchema } from '../../shared/params'
import { InferenceClient } from '../inference/client/inference-client'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { ModelRegistry } from '../model-library/model-registry'
import { modeEstimates } from '../../testing/memory-limits'
import { JobQueue } from './job-queue'

/**
 * The queue against the real inference process on the tiny fixture model (a 6-step 64×64 run
 * takes about 100 ms once the sessions are loaded).
 */
const FIXTURES = fixtureModelsDir()

let inference: InferenceClient
let events: StepwiseEvent[]
let hub: EventHub
let history: HistoryStore
let queue: JobQueue
let dataDir: string

beforeAll(async () => {
  inference = new InferenceClient()
  hub = new EventHub((error) => {
    throw error
  })
  hub.subscribe((event) => events.push(event))
})

beforeEach(async () => {
  events = []
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-queue-'))
  history = await HistoryStore.open(join(dataDir, 'history'), '0.1.0-test')
  queue = new JobQueue({ inference, models: new ModelRegistry([FIXTURES]), history, events: hub })
})

afterAll(async () => {
  await queue.close()
})

function params(extra: Partial<GenerateParamsInput> = {}) {
  return GenerateParamsSchema.parse({
    prompt: 'a red circle',
    numInferenceSteps: 6,
    guidanceScale: 7,
    scheduler: 'euler',
    seed: 42,
    provider: 'cpu',
    ...extra
  })
}

const { statesOf, endsOf, stepsOf, doneOf, ended } = jobEventFilters(() => events)

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<StepwiseError> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(error).toBeInstanceOf(StepwiseError)
    return error as StepwiseError
  }
  throw new Error('expected a rejection')
}

describe('JobQueue with the real inference process', () => {
  it('runs one job at a time in order, reporting positions, and stores each result', async () => {
    const a = await queue.generate(params())
    const b = await queue.generate(params({ prompt: 'a blue square', seed: null }))
    const c = await queue.generate(params({ keepPreviews: true }))
    expect([a.position, b.position, c.position]).toEqual([0, 1, 2])
    expect(b.seed).toBeGreaterThanOrEqual(0)
    expect(b.seed).toBeLessThan(2 ** 32)
    expect(queue.listJobs().map((j) => [j.jobId, j.position])).toEqual([
      [a.jobId, 0],
      [b.jobId, 1],
      [c.jobId, 2]
    ])
    await until(ended(c.jobId))
    for (const id of [a.jobId, b.jobId, c.jobId]) {
      const distinct = statesOf(id).filter((state, i, all) => state !== all[i - 1])
      expect(distinct).toEqual(['queued', 'loading', 'encoding', 'denoising', 'decoding', 'done'])
      expect(endsOf(id)).toEqual(['done'])
      expect(stepsOf(id).map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5])
    }
    // The first job loaded the model: its loading state events name each component in order.
    const loads = events.flatMap((e) =>
      e.type === 'job:state' && e.jobId === a.jobId && e.load !== undefined
        ? [`${e.state} ${e.load.component}:${e.load.phase} ${e.load.index}/${e.load.total}`]
        : []
    )
    expect(loads).toEqual([
      'loading text_encoder:start 1/3',
      'loading text_encoder:done 1/3',
      'loading unet:start 2/3',
      'loading unet:done 2/3',
      'loading vae_decoder:start 3/3',
      'loading vae_decoder:done 3/3'
    ])
    // b started only after a ended, c only after b.
    const firstIndex = (id: string, state: JobState): number =>
      events.findIndex((e) => e.type === 'job:state' && e.jobId === id && e.state === state)
    expect(firstIndex(b.jobId, 'loading')).toBeGreaterThan(firstIndex(a.jobId, 'done'))
    expect(firstIndex(c.jobId, 'loading')).toBeGreaterThan(firstIndex(b.jobId, 'done'))
    // c moved up the line as the others started.
    const positions = events.flatMap((e) =>
      e.type === 'job:state' && e.jobId === c.jobId ? [e.position] : []
    )
    expect(positions.filter((p, i, all) => p !== all[i - 1])).toEqual([2, 1, 0, null])

    const done = doneOf(b.jobId)
    expect(done?.result.seed).toBe(b.seed)
    expect(done?.image.rgba.length).toBe(64 * 64 * 4)
    expect(done?.historyId).not.toBeNull()
    // The job's end is the last thing said about it, right after its result.
    const last = events.filter((e) => 'jobId' in e && e.jobId === b.jobId).slice(-2)
    expect(last.map((e) => e.type)).toEqual(['job:done', 'job:state'])
    expect(history.list().entries.map((e) => e.params.seed)).toEqual([42, b.seed, 42])
    expect(history.list().entries[0]?.previewSteps).toEqual([0, 1, 2, 3, 4, 5])
    expect(queue.listJobs()).toEqual([])
  })

  it('stamps each step with when it ended in the inference process, on a clock main shares', async () => {
    const now = (): number => performance.timeOrigin + performance.now()
    const before = now()
    const job = await queue.generate(params())
    await until(ended(job.jobId))
    const after = now()
    const steps = stepsOf(job.jobId)
    expect(steps).toHaveLength(6)
    for (const [k, step] of steps.entries()) {
      expect(step.endedAt).toBeGreaterThan(before)
      expect(step.endedAt).toBeLessThan(after)
      // The time between two step ends holds the whole later step.
      const previous = steps[k - 1]
      if (previous !== undefined) {
        expect(step.endedAt - previous.endedAt).toBeGreaterThanOrEqual(step.ms)
      }
    }
  })

  it('cancels waiting jobs and stops the running one at the next step boundary', async () => {
    const running = await queue.generate(params({ numInferenceSteps: 150 }))
    const waiting = await queue.generate(params())
    const after = await queue.generate(params())
    const cancelled = queue.stop(waiting.jobId)
    expect(cancelled).toMatchObject({ state: 'cancelled', position: null })
    expect(queue.listJobs().map((j) => [j.jobId, j.position])).toEqual([
      [running.jobId, 0],
      [after.jobId, 1]
    ])
    await until(() => stepsOf(running.jobId).length > 0)
    const stopping = queue.stop(running.jobId)
    expect(stopping.stopping).toBe(true)
    await until(ended(after.jobId))

    expect(endsOf(waiting.jobId)).toEqual(['cancelled'])
    expect(statesOf(waiting.jobId)).toEqual(['queued', 'cancelled'])
    expect(endsOf(running.jobId)).toEqual(['stopped'])
    const stopped = doneOf(running.jobId)
    expect(stopped?.result.interrupted).toBe(true)
    expect(stopped?.result.stepsRun).toBeLessThan(150)
    expect(stopped?.result.stepsRun).toBe(stepsOf(running.jobId).length)
    expect(stopped?.image.rgba.length).toBe(64 * 64 * 4)
    const entry = history.get(stopped?.historyId ?? '')
    expect(entry.result.interrupted).toBe(true)
    expect(endsOf(after.jobId)).toEqual(['done'])
    // Stopping an ended job changes nothing; unknown jobs are not found.
    expect(queue.stop(running.jobId).state).toBe('stopped')
    expect(endsOf(running.jobId)).toEqual(['stopped'])
    expect((await rejection(() => queue.stop('job-nope'))).code).toBe('not-found')
  })

  it('forwards cutoff changes to the running job and refuses them once guidance ended', async () => {
    const running = await queue.generate(params({ numInferenceSteps: 100 }))
    const waiting = await queue.generate(params({ numInferenceSteps: 10 }))
    // A waiting job's parameter is replaced, and its planned cutoff step with it.
    expect(await queue.setCfgCutoff(waiting.jobId, { stepIndex: 2 })).toEqual({
      cutoff: { stepIndex: 2 },
      cutoffStep: 2,
      locked: false,
      cfgInterval: null,
      guidanceStartStep: 0,
      startLocked: false,
      guidanceScale: null
    })
    expect(queue.listJobs()[1]?.params.cfgCutoff).toEqual({ stepIndex: 2 })
    expect(queue.listJobs()[1]?.cfgCutoffStep).toBe(2)
    expect((await rejection(queue.setCfgCutoff(waiting.jobId, { stepIndex: 10 }))).message).toMatch(
      /CFG cutoff step index: must be below the number of steps \(10\), got 10/
    )

    await until(() => stepsOf(running.jobId).length > 0)
    const moved = await queue.setCfgCutoff(running.jobId, { stepIndex: 80 })
    expect(moved).toMatchObject({ cutoff: { stepIndex: 80 }, cutoffStep: 80, locked: false })
    await until(() => stepsOf(running.jobId).length > 82)
    const refused = await rejection(queue.setCfgCutoff(running.jobId, null))
    expect(refused.code).toBe('conflict')
    expect(refused.message).toMatch(/guidance already ended after step 80/)
    await until(ended(waiting.jobId))

    const cfg = stepsOf(running.jobId).map((s) => s.cfg)
    expect(cfg.slice(0, 81).every(Boolean)).toBe(true)
    expect(cfg.slice(81).some(Boolean)).toBe(false)
    expect(cfg).toHaveLength(100)
    const result = doneOf(running.jobId)?.result
    expect(result).toMatchObject({ cfgCutoff: { stepIndex: 80 }, cfgCutoffStep: 80 })
    // 19 of 100 steps ran at half the batch. The time saved depends on the machine's load, so
    // it is benchmarked (bench/), not asserted; the work saved is exact.
    const batches = stepsOf(running.jobId).map((s) => s.unetBatch)
    expect(batches.slice(0, 81).every((b) => b === 2)).toBe(true)
    expect(batches.slice(81).every((b) => b === 1)).toBe(true)
    expect(Number.isFinite(result?.unetSavedFraction)).toBe(true)
    expect(history.get(doneOf(running.jobId)?.historyId ?? '').params.cfgCutoff).toEqual({
      stepIndex: 80
    })
    const cutoffEvents = events.filter((e) => e.type === 'job:cutoff' && e.jobId === running.jobId)
    expect(cutoffEvents.length).toBeGreaterThanOrEqual(2)
    // The waiting job ran with its replaced cutoff.
    expect(stepsOf(waiting.jobId).map((s) => s.cfg)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false
    ])
    expect((await rejection(queue.setCfgCutoff(running.jobId, null))).message).toMatch(
      /already ended \(done\)/
    )
  })

  it('refuses bad input with a specific message and changes nothing', async () => {
    const before = events.length
    const unknown = await rejection(queue.generate(params({ modelId: 'no-such-model' })))
    expect(unknown.code).toBe('invalid-argument')
    expect(unknown.message).toBe(
      'Model: unknown model "no-such-model" (available: tiny-sd-random, tiny-sdxl-random)'
    )
    const pastEnd = await rejection(queue.generate(params({ stopAtStep: 6 })))
    expect(pastEnd.message).toBe(
      'tiny-sd-random: Stop at step: must be below the number of steps (6), got 6'
    )
    expect(events.length).toBe(before)
    expect(queue.listJobs()).toEqual([])
  })

  it('bounds step indices by the scheduler’s timesteps: PNDM runs N + 1, so index N is valid', async () => {
    // tiny-sd-random's own scheduler is PNDM with skip_prk_steps: 4 steps iterate 5 timesteps.
    const pndm = { scheduler: 'pndm', numInferenceSteps: 4 }
    const last = await queue.generate(
      params({ ...pndm, stopAtStep: 4, cfgCutoff: { stepIndex: 4 } })
    )
    await until(ended(last.jobId))
    // Stopping at the end of the last step: every step ran, and diffusers' flag is set.
    expect(endsOf(last.jobId)).toEqual(['stopped'])
    expect(stepsOf(last.jobId).map((s) => s.index)).toEqual([0, 1, 2, 3, 4])
    expect(doneOf(last.jobId)?.result).toMatchObject({ numTimesteps: 5, stepsRun: 5 })
    const before = events.length
    const past = await rejection(queue.generate(params({ ...pndm, stopAtStep: 5 })))
    expect(past.message).toBe(
      'tiny-sd-random: Stop at step: must be below the number of timesteps (PNDMScheduler runs 5 for 4 steps), got 5'
    )
    expect(events.length).toBe(before)
  })

  it('plans and runs the second-order and SDE samplers by their A1111 names', async () => {
    // DPM2 a: 3 steps run 2·3 − 1 = 5 model evaluations, so step index 4 is the last.
    const dpm2a = { scheduler: 'DPM2 a Karras', numInferenceSteps: 3 }
    const job = await queue.generate(params({ ...dpm2a, stopAtStep: 4 }))
    await until(ended(job.jobId))
    expect(stepsOf(job.jobId).map((s) => s.index)).toEqual([0, 1, 2, 3, 4])
    expect(doneOf(job.jobId)?.result).toMatchObject({
      scheduler: 'KDPM2AncestralDiscreteScheduler',
      useKarrasSigmas: true,
      numInferenceSteps: 3,
      numTimesteps: 5,
      stepsRun: 5
    })
    const past = await rejection(queue.generate(params({ ...dpm2a, stopAtStep: 5 })))
    expect(past.message).toBe(
      'tiny-sd-random: Stop at step: must be below the number of timesteps (KDPM2AncestralDiscreteScheduler runs 5 for 3 steps), got 5'
    )
    const sde = await queue.generate(
      params({ scheduler: 'DPM++ 2M SDE Karras', numInferenceSteps: 4 })
    )
    await until(ended(sde.jobId))
    expect(doneOf(sde.jobId)?.result).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++',
      numTimesteps: 4
    })
    const wrong = await rejection(
      queue.generate(params({ scheduler: 'DPM++ SDE', algorithmType: 'sde-dpmsolver' }))
    )
    expect(wrong.code).toBe('invalid-argument')
    expect(wrong.message).toBe(
      'tiny-sd-random: Scheduler: DPMSolverSinglestepScheduler: algorithm_type "sde-dpmsolver" is not supported (allowed: dpmsolver++, sde-dpmsolver++, dpmsolver)'
    )
  })

  it('plans T and the cutoff step once, and hands them out with the plan, ticket and summary', async () => {
    // PNDM with skip_prk_steps: 10 steps iterate 11 timesteps; int(11 · 0.5) = 5.
    const settings = { scheduler: 'pndm', numInferenceSteps: 10, cfgCutoff: { ratio: 0.5 } }
    expect(await queue.plan(params(settings))).toEqual({
      numInferenceSteps: 10,
      scheduler: 'PNDMScheduler',
      numTimesteps: 11,
      cfgCutoffStep: 5,
      guidanceStartStep: 0
    })
    const ticket = await queue.generate(params(settings))
    expect(ticket).toMatchObject({ numTimesteps: 11, cfgCutoffStep: 5 })
    expect(queue.listJobs().find((j) => j.jobId === ticket.jobId)).toMatchObject({
      numTimesteps: 11,
      cfgCutoffStep: 5
    })
    await until(ended(ticket.jobId))
    expect(stepsOf(ticket.jobId).map((s) => s.total)).toEqual(Array(11).fill(11))
    expect(doneOf(ticket.jobId)?.result).toMatchObject({ numTimesteps: 11, cfgCutoffStep: 5 })
    // Guidance to the end: no cutoff step, and nothing refused by planning alone.
    expect((await queue.plan(params({ cfgCutoff: null }))).cfgCutoffStep).toBeNull()
  })

  it('refuses a size too large for memory with the estimate and the limit, before queueing', async () => {
    // The default limit (75% of this machine's memory) runs 2048×2048 on the tiny model in the
    // low-memory mode (about 222 MiB); under that mode's estimate it is refused.
    const limited = new JobQueue({
      inference,
      models: new ModelRegistry([FIXTURES]),
      history,
      events: hub,
      memoryLimitBytes: 200 * 2 ** 20
    })
    const before = events.length
    const huge = await rejection(limited.generate(params({ width: 2048, height: 2048 })))
    expect(huge.code).toBe('invalid-argument')
    expect(huge.message).toMatch(
      /^tiny-sd-random: 2048×2048 is too large for memory: a run with 2 UNet rows needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\), over the limit of 0\.20 GiB; even the low-memory mode \(one UNet row per call, the VAE decoded in tiles of \d+ px\) needs an estimated 0\.22 GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\); choose a smaller width and height$/
    )
    expect(events.length).toBe(before)
    expect(limited.listJobs()).toEqual([])
    const tight = new JobQueue({
      inference,
      models: new ModelRegistry([FIXTURES]),
      history,
      events: hub,
      memoryLimitBytes: 4 * 2 ** 20
    })
    const refused = await rejection(tight.generate(params({ width: 512, height: 512 })))
    expect(refused.message).toMatch(
      /512×512 is too large for memory: .* over the limit of 0\.00 GiB; even the low-memory mode \(one UNet row per call, the VAE decoded in tiles of \d+ px\) needs an estimated/
    )
  })

  it('runs a size only the low-memory mode fits in that mode, and says so with the result', async () => {
    const { tiled, low } = await modeEstimates(join(FIXTURES, 'tiny-sd-random'), 256, 256)
    const limited = new JobQueue({
      inference,
      models: new ModelRegistry([FIXTURES]),
      history,
      events: hub,
      memoryLimitBytes: Math.round((tiled + low) / 2)
    })
    const run = params({ modelId: 'tiny-sd-random', width: 256, height: 256, numInferenceSteps: 2 })
    const note =
      /^low-memory mode: the UNet ran its 2 rows one per call \(classifier-free guidance as separate unconditional and conditional calls\) and the VAE decoded 256×256 in tiles of \d+ px \(as diffusers' enable_vae_tiling\) to fit the memory limit of [\d.]+ GiB: the normal mode needs an estimated [\d.]+ GiB, the low-memory mode [\d.]+ GiB$/
    expect((await limited.plan(run)).memoryNote).toMatch(note)
    const ticket = await limited.generate(run)
    expect(ticket.memoryNote).toMatch(note)
    await until(ended(ticket.jobId))
    expect(endsOf(ticket.jobId)).toEqual(['done'])
    const done = doneOf(ticket.jobId)
    expect(done?.result).toMatchObject({ memoryMode: 'low-memory', width: 256, height: 256 })
    expect(done?.result.memoryNote).toMatch(note)
    expect(stepsOf(ticket.jobId).map((s) => [s.unetBatch, s.unetCalls])).toEqual([
      [2, 2],
      [2, 2]
    ])
    // The next job on the same cached pipeline runs in the normal mode again.
    const normal = await limited.generate(
      params({ modelId: 'tiny-sd-random', numInferenceSteps: 2 })
    )
    expect(normal.memoryNote).toBeUndefined()
    await until(ended(normal.jobId))
    expect(stepsOf(normal.jobId).map((s) => s.unetCalls)).toEqual([1, 1])
    expect(doneOf(normal.jobId)?.result.memoryMode).toBeUndefined()
  })

  it('says a model was deleted after it was listed, and the queue goes on', async () => {
    const models = mkdtempSync(join(tmpdir(), 'stepwise-vanishing-'))
    cpSync(join(FIXTURES, 'tiny-sd-random'), join(models, 'vanishing'), {
      recursive: true,
      dereference: true
    })
    symlinkSync(join(FIXTURES, 'tiny-sdxl-random'), join(models, 'other'), 'dir')
    const own = new JobQueue({
      inference,
      models: new ModelRegistry([models]),
      history,
      events: hub
    })
    const first = await own.generate(params({ modelId: 'vanishing' }))
    await until(ended(first.jobId))
    expect(endsOf(first.jobId)).toEqual(['done'])
    rmSync(join(models, 'vanishing'), { recursive: true })
    const before = events.length
    const gone = await rejection(own.generate(params({ modelId: 'vanishing' })))
    // The registry re-reads its folders: the model is no longer offered (wording: main/model-library).
    expect(gone.code).toBe('invalid-argument')
    expect(gone.message).toMatch(/"vanishing"/)
    expect(events.length).toBe(before)
    // Still loaded in the inference process: a job sent there directly is refused too, not run from memory.
    const direct = await inference
      .generate('direct-gone', {
        modelDir: join(models, 'vanishing'),
        provider: 'cpu',
        prompt: 'x',
        negativePrompt: '',
        numInferenceSteps: 2,
        guidanceRescale: 0,
        seed: 1,
        useKarrasSigmas: false,
        cfgCutoff: null,
        cfgInterval: null,
        stopAtStep: null,
        previewEvery: 1,
        numImagesPerPrompt: 1
      })
      .catch((e: unknown) => e)
    expect((direct as Error).message).toMatch(/was deleted or moved after it was loaded/)
  })

  it('fails the running job when the inference process is killed and runs the next on a fresh one', async () => {
    // A process of its own, SIGKILLed while the job is denoising (inside onnxruntime).
    const own = new InferenceClient()
    const ownQueue = new JobQueue({
      inference: own,
      models: new ModelRegistry([FIXTURES]),
      history,
      events: hub
    })
    try {
      const doomed = await ownQueue.generate(params({ numInferenceSteps: 400 }))
      const next = await ownQueue.generate(params())
      await until(() => stepsOf(doomed.jobId).length >= 2)
      const pidBefore = own.pid
      expect(pidBefore).not.toBeNull()
      process.kill(pidBefore as number, 'SIGKILL')
      await until(ended(next.jobId), 120_000)
      expect(endsOf(doomed.jobId)).toEqual(['failed'])
      const failed = events.find(
        (e) => e.type === 'job:state' && e.jobId === doomed.jobId && e.state === 'failed'
      )
      expect(failed).toMatchObject({
        message:
          'the inference process stopped unexpectedly (signal SIGKILL); the job was not finished — try again'
      })
      expect(doneOf(doomed.jobId)).toBeUndefined()
      expect(endsOf(next.jobId)).toEqual(['done'])
      expect(own.pid).not.toBe(pidBefore)
      expect(history.list().entries.map((e) => e.params.seed)).toEqual([42])
    } finally {
      await ownQueue.close()
    }
  }, 180_000)

  it('delivers the result with historyError when history cannot be written', async () => {
    rmSync(history.files.imagesDir, { recursive: true, force: true })
    writeFileSync(history.files.imagesDir, 'a file where the images folder should be')
    const job = await queue.generate(params())
    await until(ended(job.jobId))
    const done = doneOf(job.jobId)
    expect(done?.historyId).toBeNull()
    expect(done?.historyError).toMatch(/^could not save to history in /)
    expect(done?.image.rgba.length).toBe(64 * 64 * 4)
    expect(endsOf(job.jobId)).toEqual(['done'])
    expect(history.list().entries).toEqual([])
  })

  it('hands a late connection the running job, its steps so far and the newest preview', async () => {
    expect(queue.liveJob()).toBeNull()
    const job = await queue.generate(params({ numInferenceSteps: 200, previewEvery: 1 }))
    await until(() => stepsOf(job.jobId).length >= 3)
    const snapshot = queue.liveJob()
    const sent = stepsOf(job.jobId)
    queue.stop(job.jobId)
    expect(snapshot?.job).toMatchObject({ jobId: job.jobId, state: 'denoising', numTimesteps: 200 })
    // Exactly the steps sent before it, in order, and the preview of the newest of them.
    expect(snapshot?.steps.map((s) => s.index)).toEqual(sent.map((s) => s.index))
    const {
      preview: _preview,
      type: _type,
      jobId: _jobId,
      ...firstReport
    } = sent[0] as JobStepEvent
    expect(snapshot?.steps[0]).toEqual(firstReport)
    const newest = sent[sent.length - 1] as JobStepEvent
    expect(snapshot?.preview?.index).toBe(newest.index)
    expect(snapshot?.preview?.image.rgba.length).toBe(8 * 8 * 4)
    expect(snapshot?.cutoff).toMatchObject({
      cutoff: null,
      cutoffStep: null,
      locked: false,
      cfgInterval: null,
      guidanceScale: null
    })
    await until(ended(job.jobId))
    expect(queue.liveJob()).toBeNull()
  })

  it('stores every image of a run that makes several, each as its own history entry', async () => {
    const job = await queue.generate(params({ numImagesPerPrompt: 2 }))
    await until(ended(job.jobId))
    const done = doneOf(job.jobId)
    expect(done?.batch).toHaveLength(2)
    expect(done?.result).toMatchObject({ batchIndex: 0, batchSize: 2, seed: 42 })
    const ids = done?.batch?.map((b) => b.historyId) ?? []
    expect(done?.historyId).toBe(ids[0])
    const stored = history.list().entries
    expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort())
    expect(stored.map((e) => e.result.batchIndex).sort()).toEqual([0, 1])
    // Two images of one batch: different noise, different pictures.
    const [a, b] = done?.batch ?? []
    expect(Buffer.from(a?.image.rgba ?? []).equals(Buffer.from(b?.image.rgba ?? []))).toBe(false)
  })
})
