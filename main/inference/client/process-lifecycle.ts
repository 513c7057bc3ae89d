import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { forkInferenceProcess } from './fork-inference-process'
import { describeExit } from './inference-process'
import type { InferenceProcess, InferenceProcessSpawner, ProcessExit } from './inference-process'

/** How long `terminate` waits for the process to end before killing it outright. */
const TERMINATE_GRACE_MS = 5000

/** Where and how an inference process starts (the options of `InferenceClient`). */
export interface ProcessLaunch {
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

/**
 * Starts an inference process from the launch options (the default entry file and Node's fork
 * when none are given), not yet holding the host alive.
 */
export function launchInferenceProcess(launch: ProcessLaunch): InferenceProcess {
  const file = launch.entryFile ?? defaultEntryFile()
  const child = (launch.spawn ?? forkInferenceProcess)(file)
  child.keepHostAlive(false)
  return child
}

/**
 * Ends a process at once with SIGKILL: a step may block its event loop for seconds, and only a
 * signal ends it then. Falls back to the spawner's own kill when there is no pid to signal.
 */
export function killNow(child: InferenceProcess): void {
  try {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
    else child.kill()
  } catch {
    child.kill()
  }
}

/**
 * Asks a process to end and waits until it has; one that does not end within 5 s is killed
 * outright.
 */
export async function endProcess(child: InferenceProcess, exited: Promise<void>): Promise<void> {
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
}

/**
 * Why a running job did not finish when its process went away: shut down on purpose, the
 * uncaught error it reported before dying, or how it ended.
 */
export function unfinishedJobMessage(
  terminating: boolean,
  crashMessage: string | null,
  exit: ProcessExit
): string {
  return terminating
    ? 'the inference process was shut down; the job was not finished'
    : `${crashMessage ?? `the inference process stopped unexpectedly (${describeExit(exit)})`}; the job was not finished — try again`
}

/**
 * Whether a WebGPU adapter exists, asked of a short-lived process of its own (the probe loads
 * the GPU libraries, which neither main nor the long-lived process should carry for nothing).
 * Resolves `found: false` with the reason when the probe cannot run.
 */
export function probeWebGpu(
  launch: ProcessLaunch,
  timeoutMs: number
): Promise<{ found: boolean; reason: string | null }> {
  const child = launchInferenceProcess(launch)
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
