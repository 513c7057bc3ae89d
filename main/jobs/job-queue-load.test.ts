import { readdirSync, readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobState, JobTicket, StepwiseEvent } from '../../shared/contract'
import { GenerateParamsSchema } from '../../shared/params'
import { InferenceClient } from '../inference/client/inference-client'
import { EventHub } from '../events/event-hub'
import { HistoryStore } from '../history/history-store'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { ModelRegistry } from '../model-library/model-registry'
import { JobQueue } from './job-queue'

/**
 * Load: 100 queued jobs on the real inference process, with stops and CFG-cutoff changes at
 * random moments (seeded, so a failure can be replayed) and a model switch every 25 jobs. Each
 * job must end exactly once; nothing may leak: one inference process throughout (no restart, no
 * stray child), no handles left open in main, and memory that stops growing after warm-up.
 * Bounded by count and a generous time limit; nothing here passes or fails on speed.
 */

const COUNT = 100
let inference: InferenceClient
let queue: JobQueue
let hub: EventHub
let history: HistoryStore
const events: StepwiseEvent[] = []

beforeAll(async () => {
  inference = new InferenceClient()
  hub = new EventHub((error) => {
    throw error
  })
  hub.subscribe((event) => events.push(event))
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-load-'))
  history = await HistoryStore.open(join(dataDir, 'history'), '0.1.0-test')
  queue = new JobQueue({
    inference,
    models: new ModelRegistry([fixtureModelsDir()]),
    history,
    events: hub
  })
})

afterAll(async () => {
  await queue.close()
})

/** mulberry32: a small seeded generator, so the "random" schedule is the same every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const { endsOf, stepsOf } = jobEventFilters(() => events)

/** Resident memory of a process in bytes (Linux /proc; null elsewhere). */
function rssOf(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? null : Number(kb) * 1024
  } catch {
    return null
  }
}

/** Live child processes of this process (Linux /proc; null elsewhere). */
function childPids(): number[] | null {
  if (process.platform !== 'linux') return null
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Fields after the parenthesised command: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid) pids.push(Number(name))
    } catch {
      // Exited while listing.
    }
  }
  return pids
}

function params(i: number, next: () => number) {
  return GenerateParamsSchema.parse({
    modelId: Math.floor(i / 25) % 2 === 0 ? 'tiny-sd-random' : 'tiny-sdxl-random',
    prompt: `load test ${i}`,
    numInferenceSteps: 3 + Math.floor(next() * 5),
    guidanceScale: 7,
    scheduler: 'euler',
    seed: i,
    provider: 'cpu',
    cfgCutoff: next() < 0.3 ? { ratio: Math.round(next() * 10) / 10 } : null
  })
}

/** One round of `count` jobs with random pokes; resolves when every job has ended. */
async function round(first: number, count: number, next: () => number): Promise<JobTicket[]> {
  const tickets: JobTicket[] = []
  for (let i = first; i < first + count; i++) tickets.push(await queue.generate(params(i, next)))
  const pokes: Promise<unknown>[] = []
  for (const ticket of tickets) {
    const id = ticket.jobId
    const dice = next()
    if (dice < 0.15) {
      // Cancel while waiting (or stop, if it already started).
      pokes.push(Promise.resolve().then(() => queue.stop(id)))
    } else if (dice < 0.3) {
      // Stop mid-run, once it has produced a step.
      pokes.push(
        until(() => stepsOf(id).length > 0 || endsOf(id).length > 0, 120_000).then(() =>
          queue.stop(id)
        )
      )
    } else if (dice < 0.5) {
      // Move the cutoff now (waiting: replaced) and again once running (live, or refused).
      const cutoff = next() < 0.5 ? { ratio: next() } : { stepIndex: Math.floor(next() * 3) }
      pokes.push(queue.setCfgCutoff(id, cutoff).catch(() => undefined))
      pokes.push(
        until(() => stepsOf(id).length > 0 || endsOf(id).length > 0, 120_000).then(() =>
          queue.setCfgCutoff(id, next() < 0.5 ? null : { ratio: 0.5 }).catch(() => undefined)
        )
      )
    }
  }
  await Promise.all(pokes)
  await until(() => tickets.every((t) => endsOf(t.jobId).length > 0), 240_000)
  return tickets
}

describe('JobQueue under load', () => {
  it(`ends each of ${COUNT} jobs exactly once, without leaking processes, handles or memory`, async () => {
    const next = random(20240611)
    // Warm-up: both models loaded once, V8 and onnxruntime arenas grown.
    const warm = await round(0, 10, next)
    const pid = inference.pid
    expect(pid).not.toBeNull()
    const children = childPids()
    const handles = process.getActiveResourcesInfo().length
    const childRssWarm = rssOf(pid as number)
    const mainRssWarm = process.memoryUsage().rss

    const rest = await round(10, COUNT - 10, next)
    await new Promise((r) => setTimeout(r, 100)) // let the last events land

    const tickets = [...warm, ...rest]
    expect(tickets).toHaveLength(COUNT)
    const tally = new Map<string, number>()
    for (const ticket of tickets) {
      const ends = endsOf(ticket.jobId)
      expect(ends, ticket.jobId).toHaveLength(1)
      const end = ends[0] as JobState
      expect(['done', 'stopped', 'cancelled']).toContain(end)
      tally.set(end, (tally.get(end) ?? 0) + 1)
      // A result exactly for the runs that produced an image, and never after the end.
      const results = events.filter((e) => e.type === 'job:done' && e.jobId === ticket.jobId)
      expect(results).toHaveLength(end === 'cancelled' ? 0 : 1)
      const last = events.filter((e) => 'jobId' in e && e.jobId === ticket.jobId).at(-1)
      expect(last).toMatchObject({ type: 'job:state', state: end })
    }
    // The random schedule really exercised every end (seeded: the same split every run).
    expect(tally.get('done')).toBeGreaterThan(20)
    expect(tally.get('stopped')).toBeGreaterThan(5)
    expect(tally.get('cancelled')).toBeGreaterThan(5)
    expect(history.list().entries).toHaveLength(COUNT - (tally.get('cancelled') ?? 0))
    expect(await queue.listJobs()).toEqual([])
    expect(hub.size).toBe(1)

    // No leaks: the same single inference process (never restarted, nothing else spawned)…
    expect(inference.pid).toBe(pid)
    if (children !== null) {
      expect(children).toContain(pid)
      expect(childPids()).toEqual(children)
    }
    // …no sockets, timers or pipes left behind in main…
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(handles)
    // …and memory that levels off after warm-up (90 more jobs, 3 more model loads; a leak of
    // one set of sessions or previews per job would show as hundreds of MB).
    const childRss = rssOf(pid as number)
    if (childRssWarm !== null && childRss !== null) {
      expect(childRss - childRssWarm).toBeLessThan(96 * 2 ** 20)
    }
    expect(process.memoryUsage().rss - mainRssWarm).toBeLessThan(128 * 2 ** 20)
  }, 600_000)
})
