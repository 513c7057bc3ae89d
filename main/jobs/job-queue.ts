import { randomBytes, randomInt } from 'node:crypto'
import { guidanceWindow, lastGuidedStep } from '../../shared/guidance-window'
import type {
  CfgCutoffState,
  GenerateParams,
  JobState,
  JobSummary,
  JobTicket,
  LiveJobSnapshot,
  ModelSummary,
  RgbaImage,
  RunPlanSummary
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { paramLabel } from '../../shared/labels'
import type { CfgCutoff, CfgInterval } from '../../shared/params'
import { LIMITS } from '../../shared/params'
import { ModelLoadError, serializeRunSnapshots } from '../engine'
import type { RunSnapshot } from '../engine'
import type {
  CutoffReport,
  GenerationRequest,
  GenerationResult,
  InferenceEvent
} from '../inference/protocol'
import type { EventHub } from '../events/event-hub'
import type { HistoryStore } from '../history/history-store'
import type { ModelRegistry } from '../model-library/model-registry'
import { CutoffRequests } from './cutoff-requests'
import { Job } from './job'
import type { JobImages, JobResume, ResolvedParams } from './job'
import { resultMetadata, toRgbaImage } from './job-result'
import { resolveResume } from './resume-source'
import { checkStepIndices, planRun, RunPlanError } from './run-plan'
import type { RunPlan } from './run-plan'

/**
 * What the queue needs from the inference process; `InferenceClient`
 * (main/inference/client/inference-client.ts, a child process) is the implementation. One job at a time:
 * `generate` settles when the job ends, and a process that dies fails the running job and
 * restarts on the next one.
 */
export interface InferenceRunner {
  generate(jobId: string, request: GenerationRequest): Promise<GenerationResult>
  stop(jobId: string): boolean
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): boolean
  setCfgInterval(jobId: string, interval: CfgInterval | null): boolean
  setGuidanceScale(jobId: string, guidanceScale: number): boolean
  /** The state at the end of a step of the running or last finished job, kept in memory. */
  snapshot(jobId: string, step: number): Promise<RunSnapshot>
  /**
   * "Stop now": ends the inference process mid-step; `generate` then resolves with the last
   * finished step decoded (no image when none had finished). Null when it cannot (the caller
   * stops the regular way). Optional for runners without a process of their own.
   */
  stopNow?(jobId: string): { step: number | null } | null
  onAny(listener: (event: InferenceEvent) => void): () => void
  terminate(): Promise<void>
  /** Frees the loaded sessions (after the running job); optional for runners without any. */
  release?(): void
}

/** Most jobs that may wait at once; more is a runaway script, not a person. */
export const MAX_WAITING_JOBS = 1000

/** Ended jobs remembered for `stop`/`setCfgCutoff` answers after the fact. */
const RECENT_JOBS = 200

/** Seeds drawn for random-seed jobs: what fits torch's and A1111's 32-bit seed fields. */
const SEED_RANGE = 2 ** 32

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
    const images = await this.inputPixels(params)
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

  /** The stored input picture and mask of an image run, read before the job is queued. */
  private async inputPixels(params: ResolvedParams): Promise<JobImages | null> {
    if (params.initImage == null) return null
    const inputs = this.options.history.inputs
    const image = await inputs.pixels(params.initImage)
    const mask = params.maskImage == null ? null : await inputs.pixels(params.maskImage)
    return { image, mask }
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
    return this.changeGuidance(jobId, {
      check: (job) => ({ ...job.params, cfgCutoff: cutoff }),
      apply: (job) => (job.params.cfgCutoff = cutoff),
      lockedBy: (state) =>
        state.locked
          ? `guidance already ended after step ${state.cutoffStep}; the cutoff can no longer change`
          : null,
      send: (job) => this.options.inference.setCfgCutoff(job.id, cutoff),
      answers: (report) => sameJson(report.cutoff, cutoff)
    })
  }

  /** Moves the running job's guidance interval, or a waiting job's parameter. */
  setCfgInterval(jobId: string, interval: CfgInterval | null): Promise<CfgCutoffState> {
    return this.changeGuidance(jobId, {
      check: (job) => ({ ...job.params, cfgInterval: interval }),
      apply: (job) => (job.params.cfgInterval = interval),
      lockedBy: (state) =>
        state.locked
          ? `guidance already ended after step ${state.cutoffStep}; the interval can no longer change`
          : null,
      send: (job) => this.options.inference.setCfgInterval(job.id, interval),
      answers: (report) => sameJson(report.cfgInterval, interval)
    })
  }

  /** Sets the running job's guidance scale from its next step, or a waiting job's parameter. */
  setGuidanceScale(jobId: string, guidanceScale: number): Promise<CfgCutoffState> {
    return this.changeGuidance(jobId, {
      check: (job) => job.params,
      apply: (job) => (job.params.guidanceScale = guidanceScale),
      lockedBy: () => null,
      send: (job) => this.options.inference.setGuidanceScale(job.id, guidanceScale),
      answers: (report) => report.guidanceScale === guidanceScale
    })
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
      change.apply(job)
      const window = guidanceWindow(numTimesteps, job.params.cfgCutoff, job.params.cfgInterval)
      job.cutoff = {
        ...job.cutoff,
        cutoff: job.params.cfgCutoff,
        cfgInterval: job.params.cfgInterval,
        cutoffStep: lastGuidedStep(numTimesteps, job.params.cfgCutoff, job.params.cfgInterval),
        guidanceStartStep: window.start
      }
      this.options.events.emit({ type: 'job:cutoff', jobId: job.id, state: { ...job.cutoff } })
      return { ...job.cutoff }
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
  private async resolveAndPlan(input: GenerateParams): Promise<{
    params: ResolvedParams
    model: ModelSummary
    plan: RunPlan
    resume: JobResume | null
  }> {
    const model = await this.options.models.resolve(input.modelId)
    checkPreviewMethod(model, input.previewMethod)
    let params: ResolvedParams = {
      ...input,
      modelId: model.id,
      seed: input.seed ?? randomInt(SEED_RANGE),
      numInferenceSteps: input.numInferenceSteps ?? model.defaults.numInferenceSteps,
      guidanceScale: input.guidanceScale ?? model.defaults.guidanceScale,
      width: input.width ?? model.defaults.width,
      height: input.height ?? model.defaults.height,
      scheduler: input.scheduler ?? model.defaults.scheduler,
      ...(input.initImage == null ? {} : { strength: input.strength ?? LIMITS.strength.default })
    }
    const resumed = await resolveResume(params, input, model, {
      history: this.options.history,
      job: (jobId) => this.findOrUndefined(jobId),
      snapshotOf: (jobId, step) => this.options.inference.snapshot(jobId, step)
    })
    if (resumed !== null) params = resumed.params
    const limit = { memoryLimitBytes: this.options.memoryLimitBytes }
    const plan = await refuseUnplannable(model, () => planRun(model.path, params, limit))
    return { params, model, plan, resume: resumed?.resume ?? null }
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
      const metadata = resultMetadata(
        job,
        result,
        job.resume?.parentHistoryId ??
          (parent === null ? null : (this.recent.get(parent)?.historyId ?? null))
      )
      if (result.images.length === 0) throw new Error('the inference process returned no image')
      const images = result.images.map(toRgbaImage)
      // The run's state holds the whole batch: it goes with the first image, like the previews.
      const state =
        result.snapshots.length === 0
          ? {}
          : {
              state: {
                bytes: serializeRunSnapshots(result.snapshots),
                steps: result.snapshots.map((s) => s.step)
              }
            }
      // Each image of a batch is a history entry of its own; kept previews go with the first.
      const stored: { image: RgbaImage; historyId: string | null }[] = []
      let historyError: string | undefined
      for (const [index, image] of images.entries()) {
        const batch = images.length > 1 ? { batchIndex: index, batchSize: images.length } : {}
        try {
          const entry = await this.options.history.add({
            params: {
              ...job.params,
              cfgCutoff: metadata.cfgCutoff,
              cfgInterval: metadata.cfgInterval ?? null
            },
            result: { ...metadata, ...batch },
            image,
            previews:
              index === 0
                ? [...job.previews].map(([step, preview]) => ({ index: step, image: preview }))
                : [],
            ...(index === 0 ? state : {})
          })
          stored.push({ image, historyId: entry.id })
          if (index === 0) job.historyId = entry.id
        } catch (error) {
          historyError ??= error instanceof Error ? error.message : String(error)
          stored.push({ image, historyId: null })
        }
      }
      if (stored.some((s) => s.historyId !== null)) {
        this.options.events.emit({ type: 'history:changed' })
      }
      const first = stored[0] as { image: RgbaImage; historyId: string | null }
      this.options.events.emit({
        type: 'job:done',
        jobId: job.id,
        image: first.image,
        result:
          images.length > 1 ? { ...metadata, batchIndex: 0, batchSize: images.length } : metadata,
        historyId: first.historyId,
        ...(historyError === undefined ? {} : { historyError }),
        ...(images.length > 1 ? { batch: stored } : {})
      })
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
    switch (event.type) {
      case 'load-progress':
        job.load = event.progress
        if (job.state === 'loading') this.emitState(job)
        return
      case 'state':
        if (job.state !== event.phase) {
          job.state = event.phase
          this.emitState(job)
        }
        return
      case 'step': {
        const { preview: frame, ...report } = event.step
        job.steps.push({ unetMs: report.unetMs, unetBatch: report.unetBatch, cfg: report.cfg })
        const preview = frame === null ? null : toRgbaImage(frame)
        if (preview !== null && job.params.keepPreviews) job.previews.set(report.index, preview)
        job.recordStep(report, preview)
        this.options.events.emit({ type: 'job:step', jobId: job.id, ...report, preview })
        return
      }
      case 'cutoff': {
        const { refused, ...state } = event.report
        job.cutoff = state
        this.cutoffRequests.answer(job.id, event.report)
        this.options.events.emit({
          type: 'job:cutoff',
          jobId: job.id,
          state: refused === undefined ? state : { ...state, refused }
        })
        return
      }
      case 'warning':
        job.warnings.push(event.message)
        this.options.events.emit({ type: 'job:warning', jobId: job.id, message: event.message })
        return
      // done and failed settle the inference promise, handled in pump().
      case 'done':
      case 'failed':
        return
    }
  }
}

/** A live guidance change, as {@link JobQueue} applies it to a waiting or running job. */
interface GuidanceChange {
  /** The job's settings with the change, to check its step indices against the plan. */
  check(job: Job): Parameters<typeof checkStepIndices>[0]
  /** Makes the change a waiting job's parameter. */
  apply(job: Job): void
  /** Why the running job can no longer take the change, or null. */
  lockedBy(state: CfgCutoffState): string | null
  /** Sends the change to the inference process. */
  send(job: Job): void
  /** Whether an inference report answers this change. */
  answers(report: CutoffReport): boolean
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Refuses a preview method the model cannot make before anything is queued: `tiny` needs a
 * tiny decoder (the folder's own, or a downloaded TAESD of its family).
 */
function checkPreviewMethod(model: ModelSummary, method: string | undefined): void {
  if (method !== 'tiny' || model.previews.methods.includes('tiny')) return
  const offer = model.previews.offer
  const how =
    offer === null
      ? 'put a TAESD-class decoder at preview_decoder/model.onnx in its folder'
      : `download ${offer.name} (${offer.repo}) in the Models panel, or put a decoder at preview_decoder/model.onnx in its folder`
  throw new StepwiseError(
    'invalid-argument',
    `${paramLabel('previewMethod')}: ${model.id} has no tiny preview decoder, so it cannot preview with "tiny" (it offers ${model.previews.methods.join(', ')}); ${how}`
  )
}

/**
 * Runs a planning step; a run that cannot be planned (or a model folder that cannot be read) is
 * refused as invalid-argument, naming the model.
 */
function refuseUnplannable<T>(model: ModelSummary, plan: () => T): T {
  const refuse = (error: unknown): never => {
    if (error instanceof RunPlanError || error instanceof ModelLoadError) {
      throw new StepwiseError('invalid-argument', `${model.id}: ${error.message}`)
    }
    throw error
  }
  try {
    const result = plan()
    return (result instanceof Promise ? result.catch(refuse) : result) as T
  } catch (error) {
    return refuse(error)
  }
}
