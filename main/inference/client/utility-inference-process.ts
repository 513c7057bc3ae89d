import type { InferenceCommand, InferenceMessage } from '../protocol'
import type { InferenceProcessSpawner, ProcessExit } from './inference-process'

/**
 * What the spawner uses of Electron's `UtilityProcess`, described here so main/inference never
 * imports electron (the child imports this folder's protocol, and must run without Electron's
 * main-process modules).
 */
export interface UtilityProcessLike {
  readonly pid: number | undefined
  postMessage(message: InferenceCommand): void
  on(event: 'message', listener: (message: InferenceMessage) => void): unknown
  once(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
}

/** Electron's `utilityProcess.fork`, as main/index.ts passes it in. */
export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: { serviceName: string; stdio: 'inherit' }
) => UtilityProcessLike

/**
 * Starts the inference process as an Electron utility process. The packaged app's RunAsNode
 * fuse is off, so its binary cannot be `child_process.fork`ed as Node; a utility process is
 * Electron's supported way to run Node code in a child, and it shows up in
 * `app.getAppMetrics()` under its service name. main/index.ts passes `utilityProcess.fork`.
 */
export function utilityInferenceProcess(fork: UtilityFork): InferenceProcessSpawner {
  return (entryFile) => {
    const child = fork(entryFile, [], { serviceName: 'Stepwise inference', stdio: 'inherit' })
    return {
      get pid() {
        return child.pid
      },
      send(command) {
        // A process that is gone has no pid; its 'exit' reports what happened.
        if (child.pid !== undefined) child.postMessage(command)
      },
      onMessage(listener) {
        child.on('message', (message) => listener(message))
      },
      onExit(listener) {
        // Electron reports the waitpid status as a code only (no signal name).
        child.once('exit', (code) => listener({ code, signal: null } satisfies ProcessExit))
      },
      kill() {
        child.kill()
      },
      keepHostAlive() {
        // Electron's app lifecycle, not the event loop, decides when main exits.
      }
    }
  }
}
