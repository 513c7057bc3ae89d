import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { CfgCutoff } from '../../shared/params'
import { forkWorkerProcess } from './worker/fork-worker-process'
import { describeExit } from './worker/worker-process'
import type { WorkerExit, WorkerProcess, WorkerProcessSpawner } from './worker/worker-process'
import type {
  GenerationRequest,
  GenerationResult,
  WorkerCommand,
  WorkerEvent,
  WorkerMessage,
  WorkerStatus
} from './worker-protocol'

/**
 * The main-process side of the inference process. onnxruntime-node's `session.run()` blocks
 * the thread that calls it, and a native abort or out-of-memory inside onnxruntime ends the
 * whole process it runs in (measured: terminating a worker *thread* inside `session.run`
 * aborted the app with `terminate called after throwing an instance of 'Napi::Error'`). So
 * generations run in a child process (./worker.ts) and main only sends commands and receives
 * events. One job runs at a time; the app's job queue decides what runs next.
 *
 * If the process dies (killed, a native crash, an uncaught error, `process.exit`), the running
 * job fails with a message saying so, and the next `generate` starts a fresh process: a crash
 * costs the loaded sessions, never the app. Stopping a job never ends the process.
 */

/** The event of one type, e.g. `WorkerEventOf<'step'>`. */
export type WorkerEventOf<K extends WorkerEvent['type']> = Extract<WorkerEvent, { type: K }>

/** Why a job failed; `crashed` is true when the worker itself went away. */
export class WorkerJobError extends Error {
  readonly jobId: string
  readonly crashed: boolean

  constructor(jobId: string, message: string, crashed: boolean) {
    super(message)
    this.name = 'WorkerJobError'
    this.jobId = jobId
    this.crashed = crashed
  }
}

/** Options of {@link InferenceWorkerClient}. */
export interface InferenceWorkerClientOptions {
  /**
   * The worker's entry file. Default: `worker.js` of the build (beside this file's bundle), or
   * `worker.ts` started through tsx when this file itself runs from TypeScript sources (tests).
   */
  workerFile?: string
  /**
   * Starts the process: Node's `child_process.fork` by default; the Electron app injects
   * `utilityProcess.fork` (main/electron-worker-process.ts).
   */
  spawn?: WorkerProcessSpawner
}

/** How long `terminate` waits for the process to end before killing it outright. */
const TERMINATE_GRACE_MS = 5000

interface RunningJob {
  jobId: string
  resolve: (result: GenerationResult) => void
  reject: (error: WorkerJobError) => void
}

type Listener = (event: WorkerEvent) => void

/** Finds the built worker: next to this file, or one folder up when bundled into a chunk. */
function defaultWorkerFile(): string {
  if (__filename.endsWith('.ts')) return join(__dirname, 'worker.ts')
  const candidates = [join(__dirname, 'worker.js'), join(__dirname, '..', 'worker.js')]
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string)
}

/** Main-process client of the inference worker. */
export class InferenceWorkerClient {
  private readonly options: InferenceWorkerClientOptions
  private worker: WorkerProcess | null = null
  private job: RunningJob | null = null
  /** Set when the process reported an uncaught error; used as the message when it exits. */
  private crashMessage: string | null = null
  /** Set while `terminate()` is taking the process down on purpose. */
  private terminating = false
  /** Settles when the current process has exited (null when none runs). */
  private exited: Promise<void> | null = null
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly statusRequests = new Map<number, (status: WorkerStatus | null) => void>()
  private nextStatusRequest = 1

  constructor(options: InferenceWorkerClientOptions = {}) {
    this.options = options
  }

  /** The id of the job the worker is running, or null when idle. */
  get runningJobId(): string | null {
    return this.job?.jobId ?? null
  }

  /** The inference process's pid while one is started, else null (diagnostics and tests). */
  get pid(): number | null {
    return this.worker?.pid ?? null
  }

  /**
   * Starts the inference process now if none runs, e.g. to load the engine before the first
   * job; `generate` does this itself.
   */
  start(): void {
    this.ensureWorker()
  }

  /**
   * Starts a generation. Resolves with the result (also sent as a `done` event) or rejects with
   * a {@link WorkerJobError} (also sent as a `failed` event). Throws at once if a job is running:
   * the caller queues.
   */
  generate(jobId: string, request: GenerationRequest): Promise<GenerationResult> {
    if (this.job !== null) {
      return Promise.reject(
        new Error(`the inference worker is busy with job ${this.job.jobId}; queue ${jobId} instead`)
      )
    }
    const worker = this.ensureWorker()
    return new Promise<GenerationResult>((resolve, reject) => {
      this.job = { jobId, resolve, reject }
      // Keep the host alive only while a job runs; an idle worker must not hold it open.
      worker.keepHostAlive(true)
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

  /** Drops the worker's loaded sessions (after the running job, if any). */
  release(): void {
    if (this.worker !== null) this.post({ type: 'release' })
  }

  /** Listens to one event type; returns the unsubscribe function. */
  on<K extends WorkerEvent['type']>(
    type: K,
    listener: (event: WorkerEventOf<K>) => void
  ): () => void {
    return this.addListener(type, listener as Listener)
  }

  /** Listens to every event; returns the unsubscribe function. */
  onAny(listener: (event: WorkerEvent) => void): () => void {
    return this.addListener('*', listener)
  }

  /**
   * Ends the inference process (app quit, tests) and waits until it is gone; one that does not
   * end within 5 s is killed. A running job fails with "the inference process was shut down".
   * The client stays usable: the next `generate` starts a fresh process.
   */
  async terminate(): Promise<void> {
    const worker = this.worker
    const exited = this.exited
    if (worker === null || exited === null) return
    this.terminating = true
    try {
      worker.kill()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), TERMINATE_GRACE_MS)
      })
      if ((await Promise.race([exited, timeout])) === 'timeout' && worker.pid !== undefined) {
        try {
          process.kill(worker.pid, 'SIGKILL')
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

  private emit(event: WorkerEvent): void {
    for (const key of [event.type, '*']) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(event)
        } catch (error) {
          // A faulty listener must not stop the others or leave the job unsettled.
          console.error('inference worker listener failed:', error)
        }
      }
    }
  }

  private post(command: WorkerCommand): void {
    this.worker?.send(command)
  }

  private ensureWorker(): WorkerProcess {
    if (this.worker !== null) return this.worker
    const file = this.options.workerFile ?? defaultWorkerFile()
    const worker = (this.options.spawn ?? forkWorkerProcess)(file)
    worker.keepHostAlive(false)
    worker.onMessage((message) => this.onMessage(message))
    this.exited = new Promise((resolve) => {
      worker.onExit((exit) => {
        this.onExit(worker, exit)
        resolve()
      })
    })
    this.worker = worker
    this.crashMessage = null
    return worker
  }

  /**
   * The inference process's memory (RSS) and loaded model, or null when no process runs (none
   * has started yet, or it exited) or it did not answer within `timeoutMs` (a step that blocks
   * longer, or a hung process). Starts no process.
   */
  status(timeoutMs = 5000): Promise<WorkerStatus | null> {
    if (this.worker === null) return Promise.resolve(null)
    const requestId = this.nextStatusRequest++
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs)
      const answer = (status: WorkerStatus | null): void => {
        clearTimeout(timer)
        this.statusRequests.delete(requestId)
        resolve(status)
      }
      this.statusRequests.set(requestId, answer)
      this.post({ type: 'status', requestId })
    })
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'fatal') {
      this.crashMessage = `the inference process crashed: ${message.message}`
      return
    }
    if (message.type === 'status') {
      this.statusRequests.get(message.requestId)?.(message.status)
      return
    }
    const job = this.job
    const settles = job !== null && message.jobId === job.jobId
    if (settles && (message.type === 'done' || message.type === 'failed')) {
      this.job = null
      this.worker?.keepHostAlive(false)
    }
    this.emit(message)
    if (!settles) return
    if (message.type === 'done') job.resolve(message.result)
    else if (message.type === 'failed')
      job.reject(new WorkerJobError(job.jobId, message.message, false))
  }

  private onExit(worker: WorkerProcess, exit: WorkerExit): void {
    if (this.worker !== worker) return
    this.worker = null
    this.exited = null
    for (const answer of [...this.statusRequests.values()]) answer(null)
    const job = this.job
    if (job === null) return
    this.job = null
    const full = this.terminating
      ? 'the inference process was shut down; the job was not finished'
      : `${this.crashMessage ?? `the inference process stopped unexpectedly (${describeExit(exit)})`}; the job was not finished — try again`
    this.emit({ type: 'failed', jobId: job.jobId, message: full })
    job.reject(new WorkerJobError(job.jobId, full, true))
  }
}
