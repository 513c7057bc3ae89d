import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ResourceLimits } from 'node:worker_threads'
import { Worker } from 'node:worker_threads'
import type { CfgCutoff } from '../../shared/params'
import type {
  GenerationRequest,
  GenerationResult,
  WorkerCommand,
  WorkerEvent
} from './worker-protocol'

/**
 * The main-process side of the inference worker. onnxruntime-node's `session.run()` blocks the
 * thread that calls it, so generations run in a `worker_threads` worker (./worker.ts) and the
 * main process only sends commands and receives events. One job runs at a time; the app's job
 * queue decides what runs next.
 *
 * If the worker dies (a native crash, `process.exit`, `terminate()`), the running job fails with
 * a message saying so, and the next `generate` starts a fresh worker: a crash costs the loaded
 * sessions, never the app.
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
   * A `.ts` file is always started through tsx.
   */
  workerFile?: string
  /** V8 heap limits for the worker (onnxruntime's tensors live outside the V8 heap). */
  resourceLimits?: ResourceLimits
}

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
  private worker: Worker | null = null
  private job: RunningJob | null = null
  /** Set when the worker reported an uncaught error; used as the message when it exits. */
  private crashMessage: string | null = null
  /** Set while `terminate()` is taking the worker down on purpose. */
  private terminating = false
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(options: InferenceWorkerClientOptions = {}) {
    this.options = options
  }

  /** The id of the job the worker is running, or null when idle. */
  get runningJobId(): string | null {
    return this.job?.jobId ?? null
  }

  /** The worker's thread id while one is started, else null (diagnostics and tests). */
  get threadId(): number | null {
    return this.worker?.threadId ?? null
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
      // Keep the process alive only while a job runs; an idle worker must not hold it open.
      worker.ref()
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
   * Stops the worker thread now. A running job fails with "the inference worker was terminated".
   * The client stays usable: the next `generate` starts a fresh worker.
   */
  async terminate(): Promise<void> {
    const worker = this.worker
    if (worker === null) return
    this.terminating = true
    try {
      await worker.terminate()
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
    this.worker?.postMessage(command)
  }

  private ensureWorker(): Worker {
    if (this.worker !== null) return this.worker
    const file = this.options.workerFile ?? defaultWorkerFile()
    const viaTsx = file.endsWith('.ts')
    const worker = viaTsx
      ? new Worker(join(__dirname, 'worker', 'tsx-bootstrap.mjs'), {
          workerData: { tsxEntry: file },
          resourceLimits: this.options.resourceLimits
        })
      : new Worker(file, { resourceLimits: this.options.resourceLimits })
    worker.unref()
    worker.on('message', (event: WorkerEvent) => this.onEvent(event))
    worker.on('error', (error) => {
      this.crashMessage = `the inference worker crashed: ${error.message}`
    })
    worker.on('messageerror', (error) => {
      this.crashMessage = `the inference worker sent an unreadable message: ${error.message}`
    })
    worker.on('exit', (code) => this.onExit(worker, code))
    this.worker = worker
    this.crashMessage = null
    return worker
  }

  private onEvent(event: WorkerEvent): void {
    const job = this.job
    const settles = job !== null && event.jobId === job.jobId
    if (settles && (event.type === 'done' || event.type === 'failed')) {
      this.job = null
      this.worker?.unref()
    }
    this.emit(event)
    if (!settles) return
    if (event.type === 'done') job.resolve(event.result)
    else if (event.type === 'failed')
      job.reject(new WorkerJobError(job.jobId, event.message, false))
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker === worker) this.worker = null
    const job = this.job
    if (job === null) return
    this.job = null
    const message = this.terminating
      ? 'the inference worker was terminated'
      : (this.crashMessage ?? `the inference worker stopped unexpectedly (exit code ${code})`)
    const full = `${message}; the job was lost, and the next job starts a fresh worker`
    this.emit({ type: 'failed', jobId: job.jobId, message: full })
    job.reject(new WorkerJobError(job.jobId, full, true))
  }
}
