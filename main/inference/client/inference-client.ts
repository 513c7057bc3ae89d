import { existsSync } from 'node:fs'
import { join } from 'node:path'
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
import { forkInferenceProcess } from './fork-inference-process'
import { describeExit } from './inference-process'
import type { InferenceProcess, InferenceProcessSpawner, ProcessExit } from './inference-process'
import { StopNowRecord } from './stop-now'
import type { StopNowTicket } from './stop-now'

export type { StopNowTicket } from './stop-now'

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

/** Why a job failed; `crashed` is true when the inference process itself went away. */
export class InferenceJobError extends Error {
  readonly jobId: string
  readonly crashed: boolean

  constructor(jobId: string, message: string, crashed: boolean) {
    super(message)
    this.name = 'InferenceJobError'
    this.jobId = jobId
    this.crashed = crashed
  }
}

/** Options of {@link InferenceClient}. */
export interface InferenceClientOptions {
  /**
   * The inference process's entry file. Default: `inference.js` of the build (beside this
   * file's bundle), or `main/inference/entry.ts` started through tsx when this file itself runs
   * from TypeScript sources (tests).
   */
  entryFile?: string
  /**
   * Starts the process: Node's `child_process.fork` by default; the Electron app injects
   * `utilityProcess.fork` (./utility-inference-process.ts).
   */
  spawn?: InferenceProcessSpawner
}

/** How long `terminate` waits for the process to end before killing it outright. */
const TERMINATE_GRACE_MS = 5000

interface RunningJob {
  jobId: string
  resolve: (result: GenerationResult) => void
  reject: (error: InferenceJobError) => void
  /** What "stop now" needs of the run (its slow steps' states). */
  record: StopNowRecord
  /** Set once "stop now" ended the process under this job. */
  stoppedNow: StoppedNow | null
}

/** A job "stop now" ended: its ticket's promises, settled as the fresh process answers. */
interface StoppedNow {
  ticket: StopNowTicket
  decoded: () => void
  ready: () => void
  /** The `decode-state` request sent to the fresh process, once it was started. */
  requestId: number | null
}

/** A promise and the function that settles it. */
function settleable(): { promise: Promise<void>; settle: () => void } {
  let settle: () => void = () => undefined
  const promise = new Promise<void>((resolve) => (settle = resolve))
  return { promise, settle }
}

type Listener = (event: InferenceEvent) => void

/**
 * Finds the inference process's entry: the TypeScript source beside this folder when running
 * from sources, else the built `inference.js` next to this file's bundle, or one folder up when
 * bundled into a chunk.
 */
function defaultEntryFile(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, '..', 'entry.ts')
  const candidates = [join(__dirname, 'inference.js'), join(__dirname, '..', 'inference.js')]
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string)
}

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
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly statusRequests = new Map<
    number,
    (status: InferenceProcessStatus | null) => void
  >()
  private readonly snapshotRequests = new Map<
    number,
    (snapshot: RunSnapshot | null, reason?: string) => void
  >()
  private nextStatusRequest = 1
  /**
   * Commands held while a fresh process decodes a stopped-now run and reloads the model (null:
   * none held); sent in order once it has (`reloaded`), so the next job never loads beside it.
   */
  private held: InferenceCommand[] | null = null
  /** The job whose stop-now decode and reload the fresh process is busy with. */
  private reloading: RunningJob | null = null

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
      this.job = { jobId, resolve, reject, record: new StopNowRecord(request), stoppedNow: null }
      // Keep the host alive only while a job runs; an idle process must not hold it open.
      child.keepHostAlive(true)
      this.post({ type: 'generate', jobId, request })
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
    if (child === null || this.reloading !== null) return null
    const decoded = settleable()
    const ready = settleable()
    const ticket: StopNowTicket = {
      step: job.record.lastState?.step ?? null,
      exited: this.exited ?? Promise.resolve(),
      decoded: decoded.promise,
      ready: ready.promise
    }
    job.stoppedNow = { ticket, decoded: decoded.settle, ready: ready.settle, requestId: null }
    // The step may block the process's event loop for seconds: only a signal ends it now.
    try {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      else child.kill()
    } catch {
      child.kill()
    }
    // Killed, it can do nothing more; its exit only frees its memory (half a second or more for
    // a full-size model), so the fresh process starts now rather than after it.
    this.detach()
    this.decodeStoppedRun(job, job.stoppedNow)
    return ticket
  }

  /** Forgets the current process (its exit is then ignored) and answers what it was asked. */
  private detach(): void {
    this.child = null
    this.exited = null
    for (const answer of [...this.statusRequests.values()]) answer(null)
    for (const answer of [...this.snapshotRequests.values()]) {
      answer(null, 'the inference process stopped, and the steps it kept in memory with it')
    }
  }

  /**
   * The newest step state main holds for the running job (what "stop now" would stop at), or
   * null: none yet, or the job's steps are faster than `stepStateAfterMs`.
   */
  heldStepState(jobId: string): RunSnapshot | null {
    return this.job?.jobId === jobId ? this.job.record.lastState : null
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
    const requestId = this.nextStatusRequest++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => answer(null, 'the inference process did not answer in time'),
        timeoutMs
      )
      const answer = (snapshot: RunSnapshot | null, reason?: string): void => {
        clearTimeout(timer)
        this.snapshotRequests.delete(requestId)
        if (snapshot !== null) resolve(snapshot)
        else reject(new Error(reason ?? `job ${jobId} has no step ${step} in memory`))
      }
      this.snapshotRequests.set(requestId, answer)
      this.post({ type: 'get-snapshot', requestId, jobId, step })
    })
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
    return this.addListener(type, listener as Listener)
  }

  /** Listens to every event; returns the unsubscribe function. */
  onAny(listener: (event: InferenceEvent) => void): () => void {
    return this.addListener('*', listener)
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
      child.kill()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), TERMINATE_GRACE_MS)
      })
      if ((await Promise.race([exited, timeout])) === 'timeout' && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
        await exited
      }
      clearTimeout(timer)
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

  private addListener(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(key, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  private emit(event: InferenceEvent): void {
    for (const key of [event.type, '*']) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(event)
        } catch (error) {
          // A faulty listener must not stop the others or leave the job unsettled.
          console.error('inference event listener failed:', error)
        }
      }
    }
  }

  private post(command: InferenceCommand): void {
    // Status and snapshot questions are answered beside a reload; everything else waits for it.
    if (this.held !== null && command.type !== 'status' && command.type !== 'get-snapshot') {
      this.held.push(command)
      return
    }
    this.child?.send(command)
  }

  /** After "stop now" ended the process: a fresh one decodes the stopped step, then reloads. */
  private decodeStoppedRun(job: RunningJob, stopped: StoppedNow): void {
    const child = this.ensureProcess()
    child.keepHostAlive(true)
    const requestId = this.nextStatusRequest++
    stopped.requestId = requestId
    this.reloading = job
    this.held = []
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
    const step = job.record.lastState?.step ?? null
    const problem =
      step === null
        ? null
        : decoded === null
          ? `the image of step ${step + 1} could not be decoded: ${reason ?? 'unknown reason'}`
          : null
    const result = job.record.result(decoded, problem)
    this.job = null
    stopped.decoded()
    this.emit({ type: 'done', jobId: job.jobId, result })
    job.resolve(result)
  }

  /** The fresh process has the model loaded again: the held commands go out. */
  private onReloaded(): void {
    const job = this.reloading
    const held = this.held ?? []
    this.reloading = null
    this.held = null
    for (const command of held) this.child?.send(command)
    if (this.job === null) this.child?.keepHostAlive(false)
    job?.stoppedNow?.ready()
  }

  private ensureProcess(): InferenceProcess {
    if (this.child !== null) return this.child
    const file = this.options.entryFile ?? defaultEntryFile()
    const child = (this.options.spawn ?? forkInferenceProcess)(file)
    child.keepHostAlive(false)
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
    const requestId = this.nextStatusRequest++
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs)
      const answer = (status: InferenceProcessStatus | null): void => {
        clearTimeout(timer)
        this.statusRequests.delete(requestId)
        resolve(status)
      }
      this.statusRequests.set(requestId, answer)
      this.post({ type: 'status', requestId })
    })
  }

  /**
   * Whether a WebGPU adapter exists, asked of a short-lived inference process of its own (the
   * probe loads the GPU libraries, which neither main nor the long-lived process should carry
   * for nothing). Resolves `found: false` with the reason when the probe cannot run.
   */
  probeWebGpu(timeoutMs = 30_000): Promise<{ found: boolean; reason: string | null }> {
    const file = this.options.entryFile ?? defaultEntryFile()
    const child = (this.options.spawn ?? forkInferenceProcess)(file)
    child.keepHostAlive(false)
    return new Promise((resolve) => {
      let settled = false
      const answer = (found: boolean, reason: string | null): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        child.kill()
        resolve({ found, reason })
      }
      const timer = setTimeout(
        () => answer(false, `the WebGPU check did not answer within ${timeoutMs / 1000} s`),
        timeoutMs
      )
      child.onMessage((message) => {
        if (message.type === 'webgpu') answer(message.found, message.reason)
      })
      child.onExit((exit) => answer(false, `the WebGPU check ended early (${describeExit(exit)})`))
      child.send({ type: 'probe-webgpu', requestId: 1 })
    })
  }

  private onMessage(message: InferenceMessage): void {
    if (message.type === 'webgpu') return
    if (message.type === 'fatal') {
      this.crashMessage = `the inference process crashed: ${message.message}`
      return
    }
    if (message.type === 'status') {
      this.statusRequests.get(message.requestId)?.(message.status)
      return
    }
    if (message.type === 'snapshot') {
      this.snapshotRequests.get(message.requestId)?.(message.snapshot, message.reason)
      return
    }
    const reloading = this.reloading
    if (message.type === 'decoded' || message.type === 'reloaded') {
      if (reloading?.stoppedNow?.requestId !== message.requestId) return
      if (message.type === 'decoded') this.onDecoded(reloading, message.decoded, message.reason)
      else this.onReloaded()
      return
    }
    const job = this.job
    if (job !== null && message.jobId === job.jobId) job.record.observe(message)
    if (message.type === 'step-state') return
    const settles = job !== null && message.jobId === job.jobId
    if (settles && (message.type === 'done' || message.type === 'failed')) {
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
    const reloading = this.reloading
    if (reloading !== null) {
      // The fresh process died while decoding or reloading: the stopped job ends without its
      // image (it already ended as stopped), and a job queued behind it starts another process
      // (unless the app is shutting down: then it fails below, like any running job).
      this.reloading = null
      const held = this.held ?? []
      this.held = null
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
    this.job = null
    stopped?.decoded()
    stopped?.ready()
    const full = this.terminating
      ? 'the inference process was shut down; the job was not finished'
      : `${this.crashMessage ?? `the inference process stopped unexpectedly (${describeExit(exit)})`}; the job was not finished — try again`
    this.emit({ type: 'failed', jobId: job.jobId, message: full })
    job.reject(new InferenceJobError(job.jobId, full, true))
  }
}
