import { randomBytes } from 'node:crypto'
import type {
  CfgCutoffState,
  GenerateParams,
  JobState,
  JobSummary,
  JobTicket,
  LiveJobSnapshot,
  RunPlanSummary
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { CfgCutoff, CfgInterval } from '../../shared/params'
import type { GenerationResult, InferenceEvent } from '../inference/protocol'
import type { EventHub } from '../events/event-hub'
import type { HistoryStore } from '../history/history-store'
import type { ModelRegistry } from '../model-library/model-registry'
import { CutoffRequests } from './cutoff-requests'
import { applyToWaitingJob, guidanceChange } from './guidance-change'
import type { GuidanceChange } from './guidance-change'
import type { InferenceRunner } from './inference-runner'
import { Job } from './job'
import { applyInferenceEvent } from './job-events'
import { inputPixels, refuseUnplannable, resolveAndPlan } from './job-planning'
import type { PlannedJob } from './job-planning'
import { checkStepIndices } from './run-plan'
import { storeResult } from './store-result'

export type { InferenceRunner } from './inference-runner'

/** Most jobs that may wait at once; more is a runaway script, not a person. */
export const MAX_WAITING_JOBS = 1000

/** Ended jobs remembered for `stop`/`setCfgCutoff` answers after the fact. */
const RECENT_JOBS = 200

/** Dependencies of the queue. */
export interface JobQueueOptions {
  inference: InferenceRunner
  models: ModelRegistry
  history: HistoryStore
  events: EventHub
  /**
   * The memory limit of the run plan's check (tests); default: the engine's. A run over it uses
   * the VAE's tiled decode or the low-memory mode when that fits, else it is refused.
   */
  memoryLimitBytes?: number
}

/**
 * The job queue: one job runs in the inference process, the others wait in order and can be
 * cancelled. Every job ends exactly once — done, stopped, failed or cancelled — and that end is
 * the last `job:state` event sent for it. Results of done and stopped runs go to history; a
 * history failure is reported with the result (`historyError`), never instead of it.
 */
export class JobQueue {
  private readonly waiting: Job[] = []
  private running: Job | null = null
  private readonly recent = new Map<string, Job>()
  private readonly cutoffRequests = new CutoffRequests()
  private readonly unsubscribe: () => void
  private closed = false
  private idle: Promise<void> = Promise.resolve()
  private markIdle: () => void = () => undefined

  constructor(private readonly options: JobQueueOptions) {
    this.unsubscribe = options.inference.onAny((event) => this.onInferenceEvent(event))
  }

  /** What `generate(input)` would run, without queueing it. Throws invalid-argument. */
  async plan(input: GenerateParams): Promise<RunPlanSummary> {
    const { params, plan } = await this.resolveAndPlan(input)
    return {
      numInferenceSteps: params.numInferenceSteps,
      scheduler: plan.schedulerName,
      numTimesteps: plan.numTimesteps,
      cfgCutoffStep: plan.cutoffStep,
      guidanceStartStep: plan.guidanceStartStep,
      ...(params.initImage == null ? {} : { startStep: plan.startStep }),
      ...(plan.memoryNote === null ? {} : { memoryNote: plan.memoryNote })
    }
  }

  /** Validates against the model, draws the seed, queues. Throws invalid-argument/unavailable. */
  async generate(input: GenerateParams): Promise<JobTicket> {
    if (this.closed) throw new StepwiseError('unavailable', 'the app is shutting down')
    const { params, model, plan, resume } = await this.resolveAndPlan(input)
    if (this.closed) throw new StepwiseError('unavailable', 'the app is shutting down')
    const images = await inputPixels(this.options.history, params)
    if (this.waiting.length >= MAX_WAITING_JOBS) {
      throw new StepwiseError(
        'unavailable',
        `the queue is full (${MAX_WAITING_JOBS} jobs waiting); stop some or wait`
      )
    }
    const position = this.waiting.length + (this.running === null ? 0 : 1)
    const id = `job-${randomBytes(6).toString('hex')}`
    const job = new Job(id, params, model, position, plan, resume, images)
    this.waiting.push(job)
    this.emitState(job)
    this.pump()
    return {
      jobId: job.id,
      seed: params.seed,
      position,
      numTimesteps: plan.numTimesteps,
      cfgCutoffStep: plan.cutoffStep,
      guidanceStartStep: plan.guidanceStartStep,
      ...(params.initImage == null ? {} : { startStep: plan.startStep }),
      ...(plan.memoryNote === null ? {} : { memoryNote: plan.memoryNote })
    }
  }

  /** Running: interrupt at the next step boundary. Waiting: cancel. Ended: no change. */
  stop(jobId: string): JobSummary {
    const job = this.find(jobId)
    if (job.ended) return job.summary()
    if (job === this.running) {
      if (!job.stopping) {
        job.stopping = true
        this.options.inference.stop(job.id)
        this.emitState(job)
      }
      return job.summary()
    }
    this.waiting.splice(this.waiting.indexOf(job), 1)
    this.end(job, 'cancelled', 'cancelled before it started')
    this.renumber()
    return job.summary()
  }

  /**
   * Running job: "stop now". The inference process is ended in the middle of its step, and the
   * job ends as stopped at once, at the last finished step (its message says which); the image
   * of that step is decoded once a fresh process is up, then stored and sent (`job:done`, after
   * the terminal state in this case), and the model loads again in the background before the
   * next job starts. With no finished step it ends with no image. Waiting or ended: as `stop`.
   */
  stopNow(jobId: string): JobSummary {
    const job = this.find(jobId)
    if (job !== this.running || job.ended) return this.stop(jobId)
    const ticket = this.options.inference.stopNow?.(job.id) ?? null
    if (ticket === null) return this.stop(jobId)
    this.end(
      job,
      'stopped',
      ticket.step === null
        ? 'stopped before its first step finished, so there is no image'
        : `stopped at step ${ticket.step + 1}; decoding after the model reloads`
    )
    return job.summary()
  }

  /** Moves the running job's live cutoff, or a waiting job's parameter. */
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): Promise<CfgCutoffState> {
    return this.changeGuidance(jobId, guidanceChange(this.options.inference, 'cfgCutoff', cutoff))
  }

  /** Moves the running job's guidance interval, or a waiting job's parameter. */
  setCfgInterval(jobId: string, interval: CfgInterval | null): Promise<CfgCutoffState> {
    return this.changeGuidance(
      jobId,
      guidanceChange(this.options.inference, 'cfgInterval', interval)
    )
  }

  /** Sets the running job's guidance scale from its next step, or a waiting job's parameter. */
  setGuidanceScale(jobId: string, guidanceScale: number): Promise<CfgCutoffState> {
    return this.changeGuidance(
      jobId,
      guidanceChange(this.options.inference, 'guidanceScale', guidanceScale)
    )
  }

  /**
   * One path for every live guidance change: an ended job refuses it; a waiting job takes it as
   * its parameter (planned again); a running one passes it to the inference process and answers
   * with its report (refused with `conflict`, saying why, once the bound it moves has passed).
   */
  private async changeGuidance(jobId: string, change: GuidanceChange): Promise<CfgCutoffState> {
    const job = this.find(jobId)
    if (job.ended) {
      throw new StepwiseError('conflict', `job ${job.id} already ended (${job.state})`)
    }
    const { numTimesteps, schedulerName } = job.plan
    const next = change.check(job)
    refuseUnplannable(job.model, () => checkStepIndices(next, numTimesteps, schedulerName))
    if (job !== this.running) {
      const state = applyToWaitingJob(job, change)
      this.options.events.emit({ type: 'job:cutoff', jobId: job.id, state: { ...state } })
      return state
    }
    const locked = change.lockedBy(job.cutoff)
    if (locked !== null) throw new StepwiseError('conflict', locked)
    const answer = this.cutoffRequests.add(job.id, change.answers)
    change.send(job)
    const report = await answer
    if (report.refused !== undefined) throw new StepwiseError('conflict', report.refused)
    return report
  }

  /** The running job first, then the waiting ones in order. */
  listJobs(): JobSummary[] {
    // A job stopped now is still `running` while its image is decoded, but it has ended.
    const running = this.running === null || this.running.ended ? [] : [this.running]
    return [...running, ...this.waiting].map((j) => j.summary())
  }

  /**
   * The running job as a page that connects mid-run needs it: its summary, the steps so far, the
   * newest preview, the live cutoff and the warnings; null when nothing runs. Taken at once, so
   * the events sent after it continue exactly where it ends.
   */
  liveJob(): LiveJobSnapshot | null {
    const job = this.running
    if (job === null || job.ended) return null
    return {
      job: job.summary(),
      steps: job.reports.map((r) => ({ ...r })),
      preview: job.latestPreview === null ? null : { ...job.latestPreview },
      cutoff: { ...job.cutoff },
      warnings: [...job.warnings]
    }
  }

  /**
   * Cancels waiting jobs, stops the running one (its result is still decoded and stored if it
   * stops within `graceMs`), then ends the inference process. Ending it mid-run is safe (it is a
   * process of its own), but waiting first keeps the running job's partial result.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const job of this.waiting.splice(0)) this.end(job, 'cancelled', 'the app is shutting down')
    const running = this.running
    if (running !== null) {
      running.stopping = true
      this.options.inference.stop(running.id)
      await Promise.race([this.idle, new Promise((resolve) => setTimeout(resolve, graceMs))])
    }
    const idle = this.idle
    await this.options.inference.terminate()
    await idle
    this.unsubscribe()
  }

  /** The model's defaults filled in, the seed drawn, and the run planned on the model folder. */
  private resolveAndPlan(input: GenerateParams): Promise<PlannedJob> {
    return resolveAndPlan(input, {
      models: this.options.models,
      history: this.options.history,
      inference: this.options.inference,
      memoryLimitBytes: this.options.memoryLimitBytes,
      job: (jobId) => this.findOrUndefined(jobId)
    })
  }

  private find(jobId: string): Job {
    const job = this.findOrUndefined(jobId)
    if (job === undefined) throw new StepwiseError('not-found', `no job ${JSON.stringify(jobId)}`)
    return job
  }

  private findOrUndefined(jobId: string): Job | undefined {
    return this.running?.id === jobId
      ? this.running
      : (this.waiting.find((j) => j.id === jobId) ?? this.recent.get(jobId))
  }

  private pump(): void {
    if (this.running !== null || this.closed) return
    const job = this.waiting.shift()
    if (job === undefined) return
    this.running = job
    this.idle = new Promise((resolve) => (this.markIdle = resolve))
    job.state = 'loading'
    this.renumber()
    this.options.inference.generate(job.id, job.request()).then(
      (result) => this.finish(job, result),
      (error: unknown) => this.fail(job, error instanceof Error ? error.message : String(error))
    )
  }

  private async finish(job: Job, result: GenerationResult): Promise<void> {
    // Stopped now before any step finished (or its decode failed): it ended already, with nothing to keep.
    if (job.ended && result.images.length === 0) {
      this.afterRun(job)
      return
    }
    try {
      const parent = job.resume?.parentJobId ?? null
      const parentHistoryId =
        job.resume?.parentHistoryId ??
        (parent === null ? null : (this.recent.get(parent)?.historyId ?? null))
      await storeResult(job, result, parentHistoryId, this.options)
      this.end(job, result.interrupted ? 'stopped' : 'done')
    } catch (error) {
      this.end(job, 'failed', error instanceof Error ? error.message : String(error))
    }
    this.afterRun(job)
  }

  private fail(job: Job, message: string): void {
    this.end(job, 'failed', message)
    this.afterRun(job)
  }

  private afterRun(job: Job): void {
    if (this.running === job) this.running = null
    this.markIdle()
    this.pump()
  }

  /** The single place a job ends; a second call for the same job does nothing. */
  private end(job: Job, state: JobState, message?: string): void {
    if (job.ended) return
    job.state = state
    job.position = null
    job.stopping = false
    job.message = message
    this.cutoffRequests.abandon(job.id, `job ${job.id} ended (${state}) before the cutoff changed`)
    this.recent.set(job.id, job)
    if (this.recent.size > RECENT_JOBS) {
      const oldest = this.recent.keys().next().value
      if (oldest !== undefined) this.recent.delete(oldest)
    }
    this.emitState(job)
  }

  /** Reports new positions after the line moved. */
  private renumber(): void {
    if (this.running !== null) {
      this.running.position = 0
      this.emitState(this.running)
    }
    const offset = this.running === null ? 0 : 1
    this.waiting.forEach((job, i) => {
      if (job.position === i + offset) return
      job.position = i + offset
      this.emitState(job)
    })
  }

  private emitState(job: Job): void {
    this.options.events.emit({
      type: 'job:state',
      jobId: job.id,
      state: job.state,
      position: job.position,
      stopping: job.stopping,
      ...(job.message === undefined ? {} : { message: job.message }),
      ...(job.load === undefined || job.state !== 'loading' ? {} : { load: job.load })
    })
  }

  private onInferenceEvent(event: InferenceEvent): void {
    const job = this.running
    if (job === null || event.jobId !== job.id || job.ended) return
    applyInferenceEvent(job, event, {
      events: this.options.events,
      cutoffRequests: this.cutoffRequests,
      emitState: (j) => this.emitState(j)
    })
  }
}
