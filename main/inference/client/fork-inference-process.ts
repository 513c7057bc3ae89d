import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
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
export const forkInferenceProcess: InferenceProcessSpawner = (entryFile) => {
  const viaTsx = entryFile.endsWith('.ts')
  const child = viaTsx
    ? fork(join(__dirname, 'tsx-bootstrap.mjs'), [entryFile], { serialization: 'advanced' })
    : fork(entryFile, [], { serialization: 'advanced' })
  return wrapChildProcess(child)
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
