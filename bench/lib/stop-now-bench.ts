import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { JobDoneEvent, StepwiseEvent } from '../../shared/contract'
import { GenerateParamsSchema } from '../../shared/params'
import { EventHub } from '../../main/events/event-hub'
import { HistoryStore } from '../../main/history/history-store'
import { InferenceClient } from '../../main/inference/client/inference-client'
import type { StopNowTicket } from '../../main/inference/client/inference-client'
import type { GenerationRequest } from '../../main/inference/protocol'
import { JobQueue } from '../../main/jobs/job-queue'
import type { InferenceRunner } from '../../main/jobs/job-queue'
import { ModelRegistry } from '../../main/model-library/model-registry'
import {
  readStepStateJournal,
  StepStateJournalWriter
} from '../../main/inference/step-state-journal'
import type { RunSnapshot } from '../../main/engine'

/**
 * `npm run bench -- --stop-now`: how long "stop now" takes, through the job queue and the real
 * inference process, as the app uses them. A job is started, and once its first step has been
 * reported and the next one has run for `waitMs`, `JobQueue.stopNow` is called. Measured from
 * that call: the job's `stopped` state event (what the app shows), the killed process's exit,
 * the decoded image of the last finished step (`job:done`), and the model loaded again in the
 * fresh process. Also the step time, and the size of the run state a slow step writes to its
 * journal.
 */

export interface StopNowCase {
  label: string
  modelDir: string
  size: number
  steps: number
  /** How long into the second step the stop comes, ms. */
  waitMs: number
}

export interface StopNowMeasurement {
  label: string
  model: string
  size: number
  steps: number
  /** Step 1's time as the engine reported it, ms. */
  stepMs: number
  /** Bytes of the run state a slow step writes to its journal (tensors only). */
  stepStateBytes: number
  /**
   * What keeping that state costs, ms: appended to a step-state journal of its own as a later
   * step's record (the latents as raw bytes, the conditioning left out) and that journal read
   * back whole, best of 5.
   */
  stepStateCopyMs: number
  /** How long the step in progress had run when stop now was called, ms. */
  intoStepMs: number
  /** Call → the job's `stopped` state event, ms (the stop-now latency). */
  stoppedMs: number
  /** Call → the inference process has exited, ms. */
  exitedMs: number
  /** Call → the last finished step's image decoded and sent (`job:done`), ms. */
  decodedMs: number
  /** Call → the model loaded again in a fresh process, ms. */
  readyMs: number
  /**
   * Of `decodedMs`, the fresh process's own part, ms: opening the model folder, the VAE
   * decoder's session, and the decode (the result's time less its steps').
   */
  decodeInProcessMs: number
  /** The step the job stopped at (1-based), as its message says. */
  stoppedAtStep: number | null
  /** Peak RSS of the inference process before the stop, bytes (sampled from /proc). */
  peakRssBytes: number | null
}

/** VmRSS of a process, bytes, or null where /proc cannot say. */
function rssOf(pid: number | null): number | null {
  if (pid === null) return null
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
    return kb === undefined ? null : Number(kb) * 1024
  } catch {
    return null
  }
}

/** Stops one job now, as described above; `capBytes` kills a process that grows past it. */
export async function measureStopNow(
  c: StopNowCase,
  capBytes: number,
  log: (line: string) => void
): Promise<StopNowMeasurement> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-stop-now-bench-'))
  const client = new InferenceClient()
  let ticket: StopNowTicket | null = null
  // The queue's runner: the real client, with the ticket and the state sizes recorded.
  const runner: InferenceRunner = {
    generate: (jobId: string, request: GenerationRequest) => client.generate(jobId, request),
    stop: (jobId) => client.stop(jobId),
    setCfgCutoff: (jobId, cutoff) => client.setCfgCutoff(jobId, cutoff),
    setCfgInterval: (jobId, interval) => client.setCfgInterval(jobId, interval),
    setGuidanceScale: (jobId, scale) => client.setGuidanceScale(jobId, scale),
    snapshot: (jobId, step) => client.snapshot(jobId, step),
    onAny: (listener) => client.onAny(listener),
    terminate: () => client.terminate(),
    stopNow: (jobId) => (ticket = client.stopNow(jobId))
  }
  const events: { at: number; event: StepwiseEvent }[] = []
  const hub = new EventHub((error) => {
    throw error
  })
  hub.subscribe((event) => events.push({ at: performance.now(), event }))
  const models = join(dataDir, 'models')
  mkdirSync(models)
  const modelId = basename(resolve(c.modelDir))
  symlinkSync(resolve(c.modelDir), join(models, modelId), 'dir')
  const history = await HistoryStore.open(join(dataDir, 'history'), 'bench')
  const queue = new JobQueue({
    inference: runner,
    models: new ModelRegistry([models]),
    history,
    events: hub,
    memoryLimitBytes: Number.MAX_SAFE_INTEGER
  })
  let peak: number | null = null
  const watchdog = setInterval(() => {
    const rss = rssOf(client.pid)
    if (rss === null) return
    peak = Math.max(peak ?? 0, rss)
    if (rss > capBytes && client.pid !== null) {
      log(`inference process over ${(capBytes / 2 ** 30).toFixed(1)} GiB: killed`)
      process.kill(client.pid, 'SIGKILL')
    }
  }, 100)
  try {
    const job = await queue.generate(
      GenerateParamsSchema.parse({
        modelId,
        prompt: 'a yellow circle on a black background',
        numInferenceSteps: c.steps,
        guidanceScale: 7.5,
        width: c.size,
        height: c.size,
        scheduler: 'EulerDiscreteScheduler',
        seed: 5,
        provider: 'cpu'
      })
    )
    const until = async (check: () => boolean, timeoutMs: number): Promise<void> => {
      const start = performance.now()
      while (!check()) {
        if (performance.now() - start > timeoutMs) throw new Error(`${c.label}: timed out`)
        await new Promise((r) => setTimeout(r, 5))
      }
    }
    const stepOf = (index: number) =>
      events.find((e) => e.event.type === 'job:step' && e.event.index === index)
    log(`${c.label}: waiting for step 1 (${c.size}², ${c.steps} steps)`)
    await until(() => stepOf(0) !== undefined, 15 * 60_000)
    const firstStep = stepOf(0) as {
      at: number
      event: Extract<StepwiseEvent, { type: 'job:step' }>
    }
    const last = client.heldStepState(job.jobId)
    const stateBytes = Object.values(last?.tensors ?? {}).reduce(
      (sum, t) => sum + (t?.data.byteLength ?? 0),
      0
    )
    const copyMs = last === null ? Number.POSITIVE_INFINITY : journalRoundTripMs(last)
    await new Promise((r) => setTimeout(r, c.waitMs))
    const called = performance.now()
    const summary = queue.stopNow(job.jobId)
    const taken = ticket as StopNowTicket | null
    if (taken === null) throw new Error(`${c.label}: stop now was refused (${summary.state})`)
    const stoppedEvent = events.find(
      (e) =>
        e.event.type === 'job:state' && e.event.jobId === job.jobId && e.event.state === 'stopped'
    )
    let exitedAt = 0
    let readyAt = 0
    void taken.exited.then(() => (exitedAt = performance.now()))
    void taken.ready.then(() => (readyAt = performance.now()))
    await until(() => events.some((e) => e.event.type === 'job:done'), 15 * 60_000)
    const done = events.find((e) => e.event.type === 'job:done') as {
      at: number
      event: JobDoneEvent
    }
    await until(() => readyAt > 0, 15 * 60_000)
    const message = stoppedEvent?.event.type === 'job:state' ? stoppedEvent.event.message : ''
    const k = /stopped at step (\d+)/.exec(message ?? '')?.[1]
    return {
      label: c.label,
      model: modelId,
      size: c.size,
      steps: c.steps,
      stepMs: firstStep.event.ms,
      stepStateBytes: stateBytes,
      stepStateCopyMs: copyMs,
      intoStepMs: called - firstStep.at,
      stoppedMs: (stoppedEvent?.at ?? Number.NaN) - called,
      exitedMs: exitedAt - called,
      decodedMs: done.at - called,
      readyMs: readyAt - called,
      decodeInProcessMs:
        done.event.result.totalMs -
        events.reduce((sum, e) => sum + (e.event.type === 'job:step' ? e.event.ms : 0), 0),
      stoppedAtStep: k === undefined ? null : Number(k),
      peakRssBytes: peak
    }
  } finally {
    clearInterval(watchdog)
    await queue.close(0)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The cases `--stop-now` runs: the shipped model, and the full-size export where one exists. */
export function stopNowCases(fullSize: string | null): StopNowCase[] {
  const shipped = resolve(__dirname, '../../resources/models/stepwise-shapes-64')
  const cases: StopNowCase[] = [
    { label: 'shipped 768²', modelDir: shipped, size: 768, steps: 4, waitMs: 1000 },
    { label: 'shipped 1024²', modelDir: shipped, size: 1024, steps: 3, waitMs: 2000 }
  ]
  if (fullSize !== null) {
    cases.push({
      label: 'SD 1.5 full size 512²',
      modelDir: fullSize,
      size: 512,
      steps: 2,
      waitMs: 3000
    })
  }
  return cases
}

/** A Markdown table of the measurements. */
export function stopNowTable(rows: readonly StopNowMeasurement[]): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
  const lines = [
    '| case | step | state kept (journal) | into step | → stopped | → process gone | → image (in the fresh process) | → model ready |',
    '|---|---|---|---|---|---|---|---|'
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${s(r.stepMs)} | ${(r.stepStateBytes / 1024).toFixed(0)} KiB (${r.stepStateCopyMs.toFixed(2)} ms) | ${s(r.intoStepMs)} | ${r.stoppedMs.toFixed(1)} ms | ${r.exitedMs.toFixed(0)} ms | ${s(r.decodedMs)} (${s(r.decodeInProcessMs)}) | ${s(r.readyMs)} |`
    )
  }
  return lines.join('\n')
}

/**
 * The state's journal round trip, best of 5: a record of a later step written (the first
 * record, with the conditioning, is written before the clock starts) and the journal read back.
 */
function journalRoundTripMs(state: RunSnapshot): number {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-bench-journal-'))
  let best = Number.POSITIVE_INFINITY
  try {
    for (let i = 0; i < 5; i++) {
      const path = join(dir, `${i}.states`)
      const writer = new StepStateJournalWriter(path)
      writer.append(state)
      const t0 = performance.now()
      writer.append({ ...state, step: state.step + 1 })
      readStepStateJournal(path)
      best = Math.min(best, performance.now() - t0)
      writer.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return best
}
