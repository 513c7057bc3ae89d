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
  InferenceProcessStatus
} from '../protocol'
import { forkInferenceProcess } from './fork-inference-process'
import { describeExit } from './inference-process'
import type { InferenceProcess, InferenceProcessSpawner, ProcessExit } from './inference-process'

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
 * costs the loaded sessions, never the app. Stopping a job never ends the process.
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
      this.job = { jobId, resolve, reject }
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
    this.child?.send(command)
  }

  private ensureProcess(): InferenceProcess {
    if (this.child !== null) return this.child
    const file = this.options.entryFile ?? defaultEntryFile()
    const child = (this.options.spawn ?? forkInferenceProcess)(file)
    child.keepHostAlive(false)
    child.onMessage((message) => this.onMessage(message))
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

  private onMessage(message: InferenceMessage): void {
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
    const job = this.job
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
    this.child = null
    this.exited = null
    for (const answer of [...this.statusRequests.values()]) answer(null)
    for (const answer of [...this.snapshotRequests.values()]) {
      answer(null, 'the inference process stopped, and the steps it kept in memory with it')
    }
    const job = this.job
    if (job === null) return
    this.job = null
    const full = this.terminating
      ? 'the inference process was shut down; the job was not finished'
      : `${this.crashMessage ?? `the inference process stopped unexpectedly (${describeExit(exit)})`}; the job was not finished — try again`
    this.emit({ type: 'failed', jobId: job.jobId, message: full })
    job.reject(new InferenceJobError(job.jobId, full, true))
  }
}
