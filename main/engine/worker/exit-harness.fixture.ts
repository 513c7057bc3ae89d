import { parentPort } from 'node:worker_threads'
import '../worker'

/**
 * Test harness around the real worker (./worker.ts runs unchanged): a `stop` for a job whose id
 * is `exit:<code>` makes the thread call `process.exit(code)`, and `throw:<text>` throws an
 * uncaught error, so the client's crash handling is tested against real thread deaths.
 */
parentPort?.on('message', (command: { type: string; jobId?: string }) => {
  if (command.type !== 'stop' || command.jobId === undefined) return
  if (command.jobId.startsWith('exit:')) process.exit(Number(command.jobId.slice(5)))
  if (command.jobId.startsWith('throw:')) {
    setImmediate(() => {
      throw new Error(command.jobId?.slice(6))
    })
  }
})
