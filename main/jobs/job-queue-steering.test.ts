import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  GenerateParamsInput,
  JobCutoffEvent,
  JobDoneEvent,
  StepwiseEvent
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { GenerateParamsSchema } from '../../shared/params'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { InferenceClient } from '../inference/client/inference-client'
import { ModelRegistry } from '../model-library/model-registry'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { JobQueue } from './job-queue'

/**
 * Steering through the queue and the real inference process: Continue from history after a
 * restart gives the uninterrupted image, Branch from a running job's step, the live guidance
 * interval and scale, and every refusal changing nothing.
 */
const FIXTURES = fixtureModelsDir()
let inference: InferenceClient
const events: StepwiseEvent[] = []
let hub: EventHub
let dataDir: string

beforeAll(() => {
  inference = new InferenceClient()
  hub = new EventHub((error) => {
    throw error
  })
  hub.subscribe((event) => events.push(event))
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-steering-'))
})

afterAll(async () => {
  await inference.terminate()
  rmSync(dataDir, { recursive: true, force: true })
})

async function openQueue(): Promise<{ queue: JobQueue; history: HistoryStore }> {
  const history = await HistoryStore.open(join(dataDir, 'history'), '0.1.0-test')
  const queue = new JobQueue({
    inference,
    models: new ModelRegistry([FIXTURES]),
    history,
    events: hub
  })
  return { queue, history }
}

function params(extra: Partial<GenerateParamsInput> = {}) {
  return GenerateParamsSchema.parse({
    prompt: 'a red circle',
    numInferenceSteps: 8,
    guidanceScale: 7,
    scheduler: 'euler a',
    seed: 42,
    provider: 'cpu',
    ...extra
  })
}

const { stepsOf, doneOf, ended } = jobEventFilters(() => events)

async function rejection(promise: Promise<unknown>): Promise<StepwiseError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StepwiseError)
    return error as StepwiseError
  }
  throw new Error('expected a rejection')
}

async function run(queue: JobQueue, p: ReturnType<typeof params>): Promise<JobDoneEvent> {
  const ticket = await queue.generate(p)
  await until(ended(ticket.jobId))
  const done = doneOf(ticket.jobId)
  if (done === undefined) throw new Error(`job ${ticket.jobId} did not finish`)
  return done
}

function bytes(image: JobDoneEvent['image']): Buffer {
  return Buffer.from(image.rgba)
}

describe('Continue and Branch through the queue', () => {
  it('a run stopped at step 3, continued from history after a restart, gives the uninterrupted image', async () => {
    let { queue } = await openQueue()
    const whole = await run(queue, params())
    const stopped = await run(queue, params({ stopAtStep: 2 }))
    expect(stopped.result).toMatchObject({ interrupted: true, stepsRun: 3 })
    const stoppedId = stopped.historyId as string
    await queue.close()

    // A new queue over the same history and a new inference process: nothing in memory.
    ;({ queue } = await openQueue())
    const opened = await openQueue()
    expect(opened.history.get(stoppedId).snapshotSteps).toEqual([2])
    const continued = await run(
      queue,
      params({ stopAtStep: null, resumeFrom: { historyId: stoppedId, step: 2 } })
    )
    expect(bytes(continued.image).equals(bytes(whole.image))).toBe(true)
    expect(continued.result).toMatchObject({
      interrupted: false,
      stepsRun: 8,
      resumedFrom: {
        step: 2,
        parentSeed: 42,
        parentPrompt: 'a red circle',
        parentHistoryId: stoppedId
      }
    })
    expect(stepsOf(continued.jobId).map((s) => s.index)).toEqual([3, 4, 5, 6, 7])
    await queue.close()
  })

  it('branches from a step of a job whose steps are in memory, with another prompt', async () => {
    const { queue, history } = await openQueue()
    const parent = await run(queue, params({ keepPreviews: true }))
    const branch = await run(
      queue,
      params({ prompt: 'a blue square', resumeFrom: { jobId: parent.jobId, step: 3 } })
    )
    expect(branch.result.resumedFrom).toMatchObject({ step: 3, parentPrompt: 'a red circle' })
    expect(branch.result.resumedFrom?.parentHistoryId).toBe(parent.historyId)
    expect(stepsOf(branch.jobId).map((s) => s.index)).toEqual([4, 5, 6, 7])
    expect(bytes(branch.image).equals(bytes(parent.image))).toBe(false)
    // The parent kept every step (it kept its previews): branch from its history entry too.
    expect(history.get(parent.historyId as string).snapshotSteps).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const again = await run(
      queue,
      params({
        prompt: 'a blue square',
        resumeFrom: { historyId: parent.historyId as string, step: 3 }
      })
    )
    expect(bytes(again.image).equals(bytes(branch.image))).toBe(true)
    // A branch of a branch, from a step only the branch ran.
    const twig = await run(
      queue,
      params({ prompt: 'a green star', resumeFrom: { jobId: again.jobId, step: 5 } })
    )
    expect(stepsOf(twig.jobId).map((s) => s.index)).toEqual([6, 7])
    expect(twig.result.resumedFrom?.parentHistoryId).toBe(again.historyId)
    await queue.close()
  })

  it('refuses what a continued run keeps, steps that did not run, and states that are gone', async () => {
    const { queue, history } = await openQueue()
    const stopped = await run(queue, params({ stopAtStep: 2 }))
    const from = { historyId: stopped.historyId as string, step: 2 }
    const before = history.list().entries.length
    const refuse = async (
      p: ReturnType<typeof params>,
      message: RegExp | string
    ): Promise<void> => {
      const error = await rejection(queue.generate(p))
      expect(error.code).toBe('invalid-argument')
      expect(error.message).toMatch(message)
    }
    await refuse(
      params({ width: 128, resumeFrom: from }),
      "resumeFrom: a continued run keeps its parent's width (64); this run asks for 128. Size, steps, scheduler, seed and model stay"
    )
    await refuse(
      params({ numInferenceSteps: 12, resumeFrom: from }),
      "keeps its parent's number of steps (8)"
    )
    await refuse(params({ scheduler: 'ddim', resumeFrom: from }), "keeps its parent's scheduler")
    await refuse(params({ seed: 7, resumeFrom: from }), "keeps its parent's seed (42)")
    await refuse(
      params({ modelId: 'tiny-sdxl-random', resumeFrom: from }),
      'keeps its parent\'s model ("tiny-sd-random")'
    )
    await refuse(
      params({ resumeFrom: { ...from, step: 5 } }),
      `resumeFrom: run ${from.historyId} stopped after step 3; step 6 did not run`
    )
    await refuse(
      params({ resumeFrom: { ...from, step: 1 } }),
      'kept no run state at step 2 (kept: steps 3)'
    )
    await refuse(
      params({ resumeFrom: { jobId: 'job-nope', step: 1 } }),
      'no job "job-nope" to continue from'
    )
    // Another job ran in between: the stopped job's steps are no longer in memory.
    await run(queue, params({ seed: 1 }))
    await run(queue, params({ seed: 2 }))
    const gone = await rejection(
      queue.generate(params({ resumeFrom: { jobId: stopped.jobId, step: 1 } }))
    )
    expect(gone.code).toBe('conflict')
    expect(gone.message).toMatch(/are no longer in memory/)
    // A damaged state file is said to be damaged.
    const states = join(dataDir, 'history', 'states')
    const file = readdirSync(states).find((f) => f.startsWith(from.historyId)) as string
    const whole = readFileSync(join(states, file))
    writeFileSync(join(states, file), whole.subarray(0, whole.length - 64))
    const damaged = await rejection(queue.generate(params({ resumeFrom: from })))
    expect(damaged.message).toMatch(/is truncated/)
    expect(history.list().entries.length).toBe(before + 2)
    await queue.close()
  })
})

describe('live guidance interval and scale', () => {
  it('moves the interval and the scale of the running job; a waiting job takes them as parameters', async () => {
    const { queue } = await openQueue()
    const running = await queue.generate(params({ numInferenceSteps: 60, scheduler: 'euler' }))
    const waiting = await queue.generate(params({ numInferenceSteps: 10, scheduler: 'euler' }))
    expect(
      await queue.setCfgInterval(waiting.jobId, { startRatio: 0.2, endRatio: 0.8 })
    ).toMatchObject({
      guidanceStartStep: 2,
      cutoffStep: 7,
      cfgInterval: { startRatio: 0.2, endRatio: 0.8 }
    })
    expect(await queue.setGuidanceScale(waiting.jobId, 9)).toMatchObject({ guidanceScale: null })
    expect(queue.listJobs()[1]?.params.guidanceScale).toBe(9)

    await until(() => stepsOf(running.jobId).length > 2)
    const moved = await queue.setCfgInterval(running.jobId, { startStepIndex: 0, endStepIndex: 40 })
    expect(moved).toMatchObject({ cutoffStep: 39, locked: false, startLocked: true })
    const scaled = await queue.setGuidanceScale(running.jobId, 11)
    expect(scaled.guidanceScale).toBe(11)
    // A page that connects now (a reload, a second tab) gets the live guidance with the job.
    expect(queue.liveJob()?.cutoff).toMatchObject({
      guidanceScale: 11,
      cfgInterval: { startStepIndex: 0, endStepIndex: 40 },
      cutoffStep: 39,
      startLocked: true
    })
    const restart = await rejection(
      queue.setCfgInterval(running.jobId, { startStepIndex: 5, endStepIndex: 40 })
    )
    expect(restart.code).toBe('conflict')
    expect(restart.message).toMatch(/guidance already started at step 0/)
    await until(ended(waiting.jobId))

    const steps = stepsOf(running.jobId)
    expect(steps.slice(0, 40).every((s) => s.unetBatch === 2)).toBe(true)
    expect(steps.slice(40).every((s) => s.unetBatch === 1)).toBe(true)
    const changedAt = steps.findIndex((s) => s.guidanceScale === 11)
    expect(changedAt).toBeGreaterThan(2)
    expect(steps.slice(0, changedAt).every((s) => s.guidanceScale === 7)).toBe(true)
    expect(steps.slice(changedAt, 40).every((s) => s.guidanceScale === 11)).toBe(true)
    expect(doneOf(running.jobId)?.result).toMatchObject({
      cfgInterval: { startStepIndex: 0, endStepIndex: 40 },
      cfgCutoffStep: 39,
      guidanceStartStep: 0
    })
    expect(stepsOf(waiting.jobId).map((s) => s.unetBatch)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
    expect(
      stepsOf(waiting.jobId)
        .filter((s) => s.cfg)
        .map((s) => s.guidanceScale)
    ).toEqual(Array(6).fill(9))
    const cutoffs = events.filter(
      (e): e is JobCutoffEvent => e.type === 'job:cutoff' && e.jobId === running.jobId
    )
    expect(cutoffs.some((e) => e.state.locked)).toBe(true)
    const invalid = await rejection(queue.setCfgInterval(running.jobId, null))
    expect(invalid.message).toMatch(/already ended \(done\)/)
    await queue.close()
  })
})
