import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GenerateParamsInput, JobDoneEvent, StepwiseEvent } from '../../shared/contract'
import { GenerateParamsSchema } from '../../shared/params'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { InferenceClient } from '../inference/client/inference-client'
import { ModelRegistry } from '../model-library/model-registry'
import { SHIPPED_DIR } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { JobQueue } from './job-queue'

/**
 * "Stop now" through the queue and the real inference process, on the shipped model at 512²,
 * where a step takes long enough (over the 250 ms from which a step's state goes to main) that
 * the process is killed in the middle of one.
 */
const events: StepwiseEvent[] = []
let inference: InferenceClient
let queue: JobQueue
let history: HistoryStore
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stepwise-stop-now-'))
  mkdirSync(join(dataDir, 'models'))
  symlinkSync(SHIPPED_DIR, join(dataDir, 'models', 'stepwise-shapes-64'), 'dir')
  inference = new InferenceClient()
  const hub = new EventHub((error) => {
    throw error
  })
  hub.subscribe((event) => events.push(event))
  history = await HistoryStore.open(join(dataDir, 'history'), '0.1.0-test')
  queue = new JobQueue({
    inference,
    models: new ModelRegistry([join(dataDir, 'models')]),
    history,
    events: hub
  })
})

afterAll(async () => {
  await queue.close()
  rmSync(dataDir, { recursive: true, force: true })
})

function params(extra: Partial<GenerateParamsInput> = {}) {
  return GenerateParamsSchema.parse({
    modelId: 'stepwise-shapes-64',
    prompt: 'a yellow circle on a black background',
    numInferenceSteps: 5,
    guidanceScale: 7.5,
    width: 512,
    height: 512,
    scheduler: 'EulerDiscreteScheduler',
    seed: 99,
    provider: 'cpu',
    ...extra
  })
}

const { stateEventsOf, endsOf, stepsOf, doneOf, ended } = jobEventFilters(() => events)
/** Long enough for a 512² step on a starved machine. */
const RUN_TIMEOUT_MS = 120_000

async function run(p: ReturnType<typeof params>): Promise<JobDoneEvent> {
  const ticket = await queue.generate(p)
  await until(ended(ticket.jobId), RUN_TIMEOUT_MS)
  await until(() => doneOf(ticket.jobId) !== undefined, RUN_TIMEOUT_MS)
  return doneOf(ticket.jobId) as JobDoneEvent
}

const bytes = (image: JobDoneEvent['image']): Buffer => Buffer.from(image.rgba)

describe('JobQueue.stopNow', () => {
  it('ends the job as stopped at once, stores the decoded step, runs the next job, and Continue finishes the run', async () => {
    const ticket = await queue.generate(params())
    await until(() => stepsOf(ticket.jobId).some((e) => e.index === 1), RUN_TIMEOUT_MS)
    const summary = queue.stopNow(ticket.jobId)
    expect(summary.state).toBe('stopped')
    const stopped = stateEventsOf(ticket.jobId).at(-1)
    expect(stopped?.state).toBe('stopped')
    const k = Number(
      /stopped at step (\d+); decoding after the model reloads/.exec(stopped?.message ?? '')?.[1]
    )
    expect(k).toBeGreaterThanOrEqual(2)
    expect(queue.listJobs()).toEqual([])

    // A job queued meanwhile waits for the decode and the reload, then runs.
    const next = await queue.generate(params({ numInferenceSteps: 1, width: 64, height: 64 }))
    await until(() => doneOf(ticket.jobId) !== undefined, RUN_TIMEOUT_MS)
    const done = doneOf(ticket.jobId) as JobDoneEvent
    expect(done.result).toMatchObject({ interrupted: true, stepsRun: k })
    expect(done.historyId).not.toBeNull()
    expect(history.get(done.historyId as string).snapshotSteps).toEqual([k - 1])
    // The stopped job's last state event is still its end: the image comes after it.
    expect(endsOf(ticket.jobId)).toHaveLength(1)
    await until(ended(next.jobId), RUN_TIMEOUT_MS)
    expect(stateEventsOf(next.jobId).at(-1)?.state).toBe('done')

    // The same image as a regular stop at that step; continued, the unstopped run's image.
    const regular = await run(params({ stopAtStep: k - 1 }))
    expect(bytes(done.image).equals(bytes(regular.image))).toBe(true)
    const continued = await run(
      params({ resumeFrom: { historyId: done.historyId as string, step: k - 1 } })
    )
    const whole = await run(params())
    expect(continued.result).toMatchObject({ interrupted: false, stepsRun: 5 })
    expect(bytes(continued.image).equals(bytes(whole.image))).toBe(true)
  })

  it('a job stopped now while loading ends with no image and no history entry', async () => {
    await queue.close()
    inference = new InferenceClient()
    const hub = new EventHub((error) => {
      throw error
    })
    hub.subscribe((event) => events.push(event))
    queue = new JobQueue({
      inference,
      models: new ModelRegistry([join(dataDir, 'models')]),
      history,
      events: hub
    })
    const before = history.list().entries.length
    const ticket = await queue.generate(params())
    await until(
      () => stateEventsOf(ticket.jobId).some((e) => e.state === 'loading'),
      RUN_TIMEOUT_MS
    )
    expect(queue.stopNow(ticket.jobId).state).toBe('stopped')
    expect(stateEventsOf(ticket.jobId).at(-1)?.message).toBe(
      'stopped before its first step finished, so there is no image'
    )
    const after = await run(params({ numInferenceSteps: 1, width: 64, height: 64 }))
    expect(after.result.interrupted).toBe(false)
    expect(doneOf(ticket.jobId)).toBeUndefined()
    expect(history.list().entries.length).toBe(before + 1)
  })
})
