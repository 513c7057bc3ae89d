import type { InferenceCommand, InferenceMessage } from '../protocol'

/**
 * The inference process as the client sees it, whichever API started it (Node's
 * `child_process.fork`, Electron's `utilityProcess.fork`). Kept this small so the Electron
 * spawner is a thin adapter injected from main/index.ts, and nothing here imports electron.
 */

/** How a process ended: an exit code, or the signal that killed it (whichever is known). */
export interface ProcessExit {
  code: number | null
  signal: string | null
}

/** A started inference process. */
export interface InferenceProcess {
  /** The OS process id (undefined until spawned, or if spawning failed). */
  readonly pid: number | undefined
  /** Sends a command; a command to a process that is gone is dropped (its exit reports it). */
  send(command: InferenceCommand): void
  onMessage(listener: (message: InferenceMessage) => void): void
  /** Called once, when the process has ended (or could not start: code null, signal null). */
  onExit(listener: (exit: ProcessExit) => void): void
  /** Ends the process (SIGTERM or the platform's equivalent). */
  kill(): void
  /**
   * Whether this process may keep the host process alive: true while a job runs, false when
   * idle, so a CLI or test process can exit with an idle inference process around.
   */
  keepHostAlive(keep: boolean): void
}

/**
 * Starts the inference process from its entry file (out/main/inference.js, or
 * main/inference/entry.ts in tests).
 */
export type InferenceProcessSpawner = (entryFile: string) => InferenceProcess

/** "signal SIGKILL" or "exit code 3": how to say why a process ended. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `signal ${exit.signal}`
  if (exit.code !== null) return `exit code ${exit.code}`
  return 'it could not be started'
}
