import type { ChildProcess } from 'node:child_process'
import { fork } from 'node:child_process'
import { join } from 'node:path'
import type { BareLoopCommand, BareLoopReply } from './bare-loop-protocol'
import type { RunConfig } from './run-config'

const ROOT = join(__dirname, '..', '..')

/** One timed pass of the bare loop. */
export interface BareLoopPass {
  totalMs: number
  iterationMs: number[]
}

/**
 * The parent side of the bare loop (see bare-loop-process.ts): a child process started through
 * the same tsx bootstrap the tests use for the inference process's entry.ts, with structured-clone messages.
 */
export class BareLoop {
  private readonly child: ChildProcess
  private waiting: ((reply: BareLoopReply) => void) | null = null
  private exitMessage: string | null = null

  constructor() {
    this.child = fork(
      join(ROOT, 'main/inference/client/tsx-bootstrap.mjs'),
      [join(__dirname, 'bare-loop-process.ts')],
      { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }
    )
    this.child.on('message', (reply: BareLoopReply) => {
      const waiting = this.waiting
      this.waiting = null
      waiting?.(reply)
    })
    this.child.on('exit', (code, signal) => {
      this.exitMessage = `the bare-loop process ended (${signal ?? `exit code ${code}`})`
      const waiting = this.waiting
      this.waiting = null
      waiting?.({ type: 'error', message: this.exitMessage })
    })
  }

  private request(command: BareLoopCommand): Promise<BareLoopReply> {
    if (this.exitMessage !== null) return Promise.reject(new Error(this.exitMessage))
    return new Promise((resolve, reject) => {
      this.waiting = (reply) => {
        if (reply.type === 'error') reject(new Error(reply.message))
        else resolve(reply)
      }
      this.child.send(command)
    })
  }

  /** Records the feeds of `config` and opens the session; returns the number of steps. */
  async prepare(modelDir: string, config: RunConfig): Promise<number> {
    const reply = await this.request({ type: 'prepare', modelDir, config })
    if (reply.type !== 'ready') throw new Error(`unexpected reply ${reply.type}`)
    return reply.steps
  }

  /** One timed pass over all steps. */
  async run(): Promise<BareLoopPass> {
    const reply = await this.request({ type: 'run' })
    if (reply.type !== 'ran') throw new Error(`unexpected reply ${reply.type}`)
    return { totalMs: reply.totalMs, iterationMs: reply.iterationMs }
  }

  /** Ends the process. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve()
      this.child.once('exit', () => resolve())
      this.child.disconnect()
    })
  }
}
