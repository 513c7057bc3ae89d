import { utilityProcess } from 'electron'
import type { WorkerCommand, WorkerMessage } from './engine/worker-protocol'
import type { WorkerExit, WorkerProcessSpawner } from './engine/worker/worker-process'

/**
 * Starts the inference process as an Electron utility process. The packaged app's RunAsNode
 * fuse is off, so its binary cannot be `child_process.fork`ed as Node; a utility process is
 * Electron's supported way to run Node code in a child, and it shows up in
 * `app.getAppMetrics()` under its service name. Injected into the engine's client from
 * main/index.ts (main/engine never imports electron).
 */
export const utilityWorkerProcess: WorkerProcessSpawner = (entryFile) => {
  const child = utilityProcess.fork(entryFile, [], {
    serviceName: 'Stepwise inference',
    stdio: 'inherit'
  })
  return {
    get pid() {
      return child.pid
    },
    send(command: WorkerCommand) {
      // A process that is gone has no pid; its 'exit' reports what happened.
      if (child.pid !== undefined) child.postMessage(command)
    },
    onMessage(listener) {
      child.on('message', (message: WorkerMessage) => listener(message))
    },
    onExit(listener) {
      // Electron reports the waitpid status as a code only (no signal name).
      child.once('exit', (code) => listener({ code, signal: null } satisfies WorkerExit))
    },
    kill() {
      child.kill()
    },
    keepHostAlive() {
      // Electron's app lifecycle, not the event loop, decides when main exits.
    }
  }
}
