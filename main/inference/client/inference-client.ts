import type { CfgCutoff, CfgInterval } from '../../../shared/params'
import type { RunSnapshot } from '../../engine'
import type {
  GenerationRequest,
  GenerationResult,
  InferenceCommand,
  InferenceEvent,
  InferenceMessage,
  InferenceProcessStatus,
  DecodedState
} from '../protocol'
import { InferenceListeners } from './event-listeners'
import type { InferenceListener } from './event-listeners'
import { describeExit } from './inference-process'
import type { InferenceProcess, ProcessExit } from './inference-process'
import { InferenceJobError } from './inference-job-error'
import {
  endProcess,
  killNow,
  launchInferenceProcess,
  probeWebGpu,
  unfinishedJobMessage
} from './process-lifecycle'
import type { ProcessLaunch } from './process-lifecycle'
import { ProcessRequests } from './process-requests'
import { newStepStateJournalPath } from '../step-state-journal'
import { decodeProblem, StopNowRecord, stoppedNow } from './stop-now'
import type { RunningJob, StoppedNow, StopNowTicket } from './stop-now'
import { StopNowReload } from './stop-now-reload'

export type { StopNowTicket } from './stop-now'
export { InferenceJobError } from './inference-job-error'

/**
 * The main-process side of the inference process. onnxruntime-node's `session.run()` blocks
 * the thread that calls it, and a native abort or out-of-memory inside onnxruntime ends the
 * whole process it runs in (measured: terminating a worker *thread* inside `session.run`
 * aborted the app with `terminate called after throwing an instance of 'Napi::Error'`). So
 * generations run in a child process (../entry.ts) and main only sends commands and receives
 * events. One job runs at a time; the app's job queue decides what runs next.
 *
 * If the process dies (killed, a native crash, an uncaught error, `process.exit`), the running
 * job fails with a message saying so, and the next `generate` starts a fresh process: a crash
 * costs the loaded sessions, never the app. A regular stop never ends the process; "stop now"
 * (`stopNow`) does, on purpose: see there.
 */

/** The event of one type, e.g. `InferenceEventOf<'step'>`. */
export type InferenceEventOf<K extends InferenceEvent['type']> = Extract<
  InferenceEvent,
  { type: K }
>

/** Options of {@link InferenceClient}: where and how its process starts. */
export type InferenceClientOptions = ProcessLaunch

/** Main-process client of the inference process. */
export class InferenceClient {
  private readonly options: InferenceClientOptions
  private child: InferenceProcess | null = null
  private job: RunningJob | null = null
  /** Set when the process reported an uncaught error; used as the message when it exits. */
  private crashMessage: string | null = null
  /** Set while `terminate()` is taking the process down on purpose. */
  private terminating = false
  /** Settles when the current process has exited (null when none runs). */
  private exited: Promise<void> | null = null
  private readonly listeners = new InferenceListeners()
  private readonly requests = new ProcessRequests()
  /** The fresh process's decode and reload after "stop now", and the commands it holds. */
  private readonly reload = new StopNowReload()

  constructor(options: InferenceClientOptions = {}) {
    this.options = options
  }

  /** The id of the job the inference process is running, or null when idle. */
  get runningJobId(): string | null {
    return this.job?.jobId ?? null
  }

  /** The inference process's pid while one is started, else null (diagnostics and tests). */
  get pid(): number | null {
    return this.child?.pid ?? null
  }

  /**
   * Starts the inference process now if none runs, e.g. to load the engine before the first
   * job; `generate` does this itself.
   */
  start(): void {
    this.ensureProcess()
  }

  /**
   * Starts a generation. Resolves with the result (also sent as a `done` event) or rejects with
   * an {@link InferenceJobError} (also sent as a `failed` event). Throws at once if a job is running:
   * the caller queues.
   */
  generate(jobId: string, request: GenerationRequest): Promise<GenerationResult> {
    if (this.job !== null) {
      return Promise.reject(
        new Error(
          `the inference process is busy with job ${this.job.jobId}; queue ${jobId} instead`
        )
      )
    }
    const child = this.ensureProcess()
    return new Promise<GenerationResult>((resolve, reject) => {
      const record = new StopNowRecord(request, newStepStateJournalPath())
      this.job = { jobId, resolve, reject, record, stoppedNow: null }
      // Keep the host alive only while a job runs; an idle process must not hold it open.
      child.keepHostAlive(true)
      this.post({ type: 'generate', jobId, request, stepStateJournal: record.journal })
    })
  }

  /**
   * Asks the running job to stop at the top of its next step (the partially denoised image is
   * still decoded and returned, with `interrupted: true`). Returns false if `jobId` is not running.
   */
  stop(jobId: string): boolean {
    if (this.job?.jobId !== jobId) return false
    this.post({ type: 'stop', jobId })
    return true
  }

  /**
   * "Stop now": ends the inference process in the middle of the running job's step (SIGKILL;
   * nothing waits for the step), so the job stops at once at the last finished step whose state
   * main holds (slow steps send theirs, see `GenerationRequest.stepStateAfterMs`). A fresh
   * process then decodes that step's latents; `generate` resolves with that image as an
   * interrupted result carrying the step's state (to continue from), or with no image when no
   * step had finished. The fresh process then loads the rest of the model; commands for the next
   * job wait until it has. Returns null if `jobId` is not running.
   */
  stopNow(jobId: string): StopNowTicket | null {
    const job = this.job
    const child = this.child
    if (job === null || job.jobId !== jobId) return null
    if (job.stoppedNow !== null) return job.stoppedNow.ticket
    // A job whose generate still waits for a reload has no step to keep: a regular stop will do.
    if (child === null || this.reload.job !== null) return null
    // The step may block the process's event loop for seconds: only a signal ends it now.
    killNow(child)
    // Whatever the process still does until the signal lands, the states in the file now are
    // the ones main stops at (a record the kill cut short is left out).
    job.record.readStates()
    job.record.discardJournal()
    const stopped = stoppedNow(job.record, this.exited ?? Promise.resolve())
    job.stoppedNow = stopped
    // Killed, it can do nothing more; its exit only frees its memory (half a second or more for
    // a full-size model), so the fresh process starts now rather than after it.
    this.detach()
    this.decodeStoppedRun(job, stopped)
    return stopped.ticket
  }

  /** Forgets the current process (its exit is then ignored) and answers what it was asked. */
  private detach(): void {
    this.child = null
    this.exited = null
    this.requests.abandon()
  }

  /**
   * The newest step state the running job's journal holds (what "stop now" would stop at), or
   * null: none yet, or the job's steps are faster than `stepStateAfterMs`.
   */
  heldStepState(jobId: string): RunSnapshot | null {
    const job = this.job
    if (job?.jobId !== jobId) return null
    return job.stoppedNow === null ? job.record.readStates() : job.record.lastState
  }

  /**
   * Asks the running job to change its CFG cutoff; the answer comes as a `cutoff` event (with
   * `refused` set when its step was already reached). Returns false if `jobId` is not running.
   */
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): boolean {
    if (this.job?.jobId !== jobId) return false
    this.post({ type: 'set-cfg-cutoff', jobId, cutoff })
    return true
  }

  /** Asks the running job to change its guidance interval; answered with a `cutoff` event. */
  setCfgInterval(jobId: string, interval: CfgInterval | null): boolean {
    if (this.job?.jobId !== jobId) return false
    this.post({ type: 'set-cfg-interval', jobId, interval })
    return true
  }

  /** Asks the running job to use another guidance scale from its next step; answered with a `cutoff` event. */
  setGuidanceScale(jobId: string, guidanceScale: number): boolean {
    if (this.job?.jobId !== jobId) return false
    this.post({ type: 'set-guidance-scale', jobId, guidanceScale })
    return true
  }

  /**
   * The run state at the end of step `step` of the running or last finished job, which the
   * inference process keeps in memory to branch from. Rejects, saying why, when it holds none
   * (no process, another job ran since, the step did not run).
   */
  snapshot(jobId: string, step: number, timeoutMs = 30_000): Promise<RunSnapshot> {
    if (this.child === null) {
      return Promise.reject(
        new Error(
          `the steps of job ${jobId} are no longer in memory (the inference process restarted)`
        )
      )
    }
    return this.requests.snapshot(
      jobId,
      step,
      (requestId) => this.post({ type: 'get-snapshot', requestId, jobId, step }),
      timeoutMs
    )
  }

  /** Drops the inference process's loaded sessions (after the running job, if any). */
  release(): void {
    if (this.child !== null) this.post({ type: 'release' })
  }

  /** Listens to one event type; returns the unsubscribe function. */
  on<K extends InferenceEvent['type']>(
    type: K,
    listener: (event: InferenceEventOf<K>) => void
  ): () => void {
    return this.listeners.add(type, listener as InferenceListener)
  }

  /** Listens to every event; returns the unsubscribe function. */
  onAny(listener: (event: InferenceEvent) => void): () => void {
    return this.listeners.add('*', listener)
  }

  /**
   * Ends the inference process (app quit, tests) and waits until it is gone; one that does not
   * end within 5 s is killed. A running job fails with "the inference process was shut down".
   * The client stays usable: the next `generate` starts a fresh process.
   */
  async terminate(): Promise<void> {
    const child = this.child
    const exited = this.exited
    if (child === null || exited === null) return
    this.terminating = true
    try {
      await endProcess(child, exited)
    } finally {
      this.terminating = false
    }
  }

  /**
   * Commands held for a reload whose process died: a generate among them starts afresh (its
   * job's own failure, if any, is reported by the next process); the rest concerned that process.
   */
  private resendAfterCrash(held: InferenceCommand[]): void {
    for (const command of held) {
      if (command.type === 'generate' && this.job?.jobId === command.jobId) {
        const child = this.ensureProcess()
        child.keepHostAlive(true)
        child.send(command)
      }
    }
  }

  private emit(event: InferenceEvent): void {
    this.listeners.emit(event)
  }

  private post(command: InferenceCommand): void {
    if (this.reload.hold(command)) return
    this.child?.send(command)
  }

  /** After "stop now" ended the process: a fresh one decodes the stopped step, then reloads. */
  private decodeStoppedRun(job: RunningJob, stopped: StoppedNow): void {
    const child = this.ensureProcess()
    child.keepHostAlive(true)
    const requestId = this.requests.nextId()
    stopped.requestId = requestId
    this.reload.begin(job)
    child.send({
      type: 'decode-state',
      requestId,
      request: job.record.request,
      snapshot: job.record.lastState
    })
  }

  /** The fresh process decoded (or could not decode) the stopped run: the job ends with it. */
  private onDecoded(job: RunningJob, decoded: DecodedState | null, reason?: string): void {
    const stopped = job.stoppedNow
    if (stopped === null || this.job !== job) return
    const result = job.record.result(decoded, decodeProblem(job.record, decoded, reason))
    this.job = null
    stopped.decoded()
    this.emit({ type: 'done', jobId: job.jobId, result })
    job.resolve(result)
  }

  /** The fresh process has the model loaded again: the held commands go out. */
  private onReloaded(): void {
    const job = this.reload.job
    const held = this.reload.end()
    for (const command of held) this.child?.send(command)
    if (this.job === null) this.child?.keepHostAlive(false)
    job?.stoppedNow?.ready()
  }

  private ensureProcess(): InferenceProcess {
    if (this.child !== null) return this.child
    const child = launchInferenceProcess(this.options)
    // A process stopped now may still have messages on their way: its run is over for main.
    child.onMessage((message) => {
      if (this.child === child) this.onMessage(message)
    })
    this.exited = new Promise((resolve) => {
      child.onExit((exit) => {
        this.onExit(child, exit)
        resolve()
      })
    })
    this.child = child
    this.crashMessage = null
    return child
  }

  /**
   * The inference process's memory (RSS) and loaded model, or null when no process runs (none
   * has started yet, or it exited) or it did not answer within `timeoutMs` (a step that blocks
   * longer, or a hung process). Starts no process.
   */
  status(timeoutMs = 5000): Promise<InferenceProcessStatus | null> {
    if (this.child === null) return Promise.resolve(null)
    return this.requests.status((requestId) => this.post({ type: 'status', requestId }), timeoutMs)
  }

  /**
   * Whether a WebGPU adapter exists, asked of a short-lived inference process of its own (the
   * probe loads the GPU libraries, which neither main nor the long-lived process should carry
   * for nothing). Resolves `found: false` with the reason when the probe cannot run.
   */
  probeWebGpu(timeoutMs = 30_000): Promise<{ found: boolean; reason: string | null }> {
    return probeWebGpu(this.options, timeoutMs)
  }

  private onMessage(message: InferenceMessage): void {
    if (message.type === 'webgpu') return
    if (message.type === 'fatal') {
      this.crashMessage = `the inference process crashed: ${message.message}`
      return
    }
    if (this.requests.answer(message)) return
    const reloading = this.reload.job
    if (message.type === 'decoded' || message.type === 'reloaded') {
      if (reloading?.stoppedNow?.requestId !== message.requestId) return
      if (message.type === 'decoded') this.onDecoded(reloading, message.decoded, message.reason)
      else this.onReloaded()
      return
    }
    const job = this.job
    if (job !== null && message.jobId === job.jobId) job.record.observe(message)
    const settles = job !== null && message.jobId === job.jobId
    if (settles && (message.type === 'done' || message.type === 'failed')) {
      job.record.discardJournal()
      this.job = null
      this.child?.keepHostAlive(false)
    }
    this.emit(message)
    if (!settles) return
    if (message.type === 'done') job.resolve(message.result)
    else if (message.type === 'failed')
      job.reject(new InferenceJobError(job.jobId, message.message, false))
  }

  private onExit(child: InferenceProcess, exit: ProcessExit): void {
    if (this.child !== child) return
    this.detach()
    const reloading = this.reload.job
    if (reloading !== null) {
      // The fresh process died while decoding or reloading: the stopped job ends without its
      // image (it already ended as stopped), and a job queued behind it starts another process
      // (unless the app is shutting down: then it fails below, like any running job).
      const held = this.reload.end()
      if (this.job === reloading) {
        this.onDecoded(reloading, null, `the inference process stopped (${describeExit(exit)})`)
      }
      reloading.stoppedNow?.ready()
      if (!this.terminating) {
        this.resendAfterCrash(held)
        return
      }
    }
    const job = this.job
    if (job === null) return
    const stopped = job.stoppedNow
    job.record.discardJournal()
    this.job = null
    stopped?.decoded()
    stopped?.ready()
    const full = unfinishedJobMessage(this.terminating, this.crashMessage, exit)
    this.emit({ type: 'failed', jobId: job.jobId, message: full })
    job.reject(new InferenceJobError(job.jobId, full, true))
  }
}
