import { fork } from 'node:child_process'
import type { ChildProcess, ForkOptions } from 'node:child_process'
import { join } from 'node:path'
import type { InferenceCommand, InferenceMessage } from '../protocol'
import type { InferenceProcess, InferenceProcessSpawner, ProcessExit } from './inference-process'

/**
 * Starts the inference process with Node's `child_process.fork` (browser-mode server, tests).
 * `serialization: 'advanced'` sends structured clones, so ArrayBuffers and typed arrays arrive
 * as such. A `.ts` entry (tests, development) starts through tsx. Electron uses
 * `utilityProcess.fork` instead (./utility-inference-process.ts): with the RunAsNode fuse off,
 * the packaged app's binary cannot be forked as Node.
 */
export const forkInferenceProcess: InferenceProcessSpawner = forkSpawner()

/** How a forked inference process is set apart from its parent (see {@link forkSpawner}). */
export type ForkPlacement = Pick<ForkOptions, 'detached' | 'stdio' | 'env'>

/**
 * A `child_process.fork` spawner with placement options: the CLI starts its inference process
 * in a process group of its own (`detached`), so that the terminal's Ctrl-C, which goes to the
 * whole foreground group, reaches only the CLI, which decides what it means; and with the
 * child's stdout on the CLI's stderr, so nothing it prints can get into `--json` output; `env` to set what the
 * process reads from its environment (the graph-pass cache folder).
 */
export function forkSpawner(placement: ForkPlacement = {}): InferenceProcessSpawner {
  return (entryFile) => {
    const options: ForkOptions = { serialization: 'advanced', ...placement }
    const viaTsx = entryFile.endsWith('.ts')
    const child = viaTsx
      ? fork(join(__dirname, 'tsx-bootstrap.mjs'), [entryFile], options)
      : fork(entryFile, [], options)
    return wrapChildProcess(child)
  }
}

function wrapChildProcess(child: ChildProcess): InferenceProcess {
  const exitListeners: Array<(exit: ProcessExit) => void> = []
  let exited = false
  const reportExit = (exit: ProcessExit): void => {
    if (exited) return
    exited = true
    for (const listener of exitListeners) listener(exit)
  }
  child.on('exit', (code, signal) => reportExit({ code, signal }))
  // 'error': the process could not be started, or a message could not be sent because the
  // channel just closed. The first is an exit of its own; the second is followed by 'exit'.
  child.on('error', () => {
    if (child.pid === undefined) reportExit({ code: null, signal: null })
  })
  return {
    get pid() {
      return child.pid
    },
    send(command: InferenceCommand) {
      if (child.connected) child.send(command)
    },
    onMessage(listener) {
      child.on('message', (message) => listener(message as InferenceMessage))
    },
    onExit(listener) {
      exitListeners.push(listener)
    },
    kill() {
      child.kill()
    },
    keepHostAlive(keep) {
      // The IPC channel holds the host's event loop open as well as the process handle.
      if (keep) {
        child.ref()
        child.channel?.ref()
      } else {
        child.unref()
        child.channel?.unref()
      }
    }
  }
}
