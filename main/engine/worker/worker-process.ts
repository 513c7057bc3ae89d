import type { WorkerCommand, WorkerMessage } from '../worker-protocol'

/**
 * The inference process as the client sees it, whichever API started it (Node's
 * `child_process.fork`, Electron's `utilityProcess.fork`). Kept this small so the Electron
 * spawner, which main/engine must not import, is a few lines in main/ that are injected.
 */

/** How a process ended: an exit code, or the signal that killed it (whichever is known). */
export interface WorkerExit {
  code: number | null
  signal: string | null
}

/** A started inference process. */
export interface WorkerProcess {
  /** The OS process id (undefined until spawned, or if spawning failed). */
  readonly pid: number | undefined
  /** Sends a command; a command to a process that is gone is dropped (its exit reports it). */
  send(command: WorkerCommand): void
  onMessage(listener: (message: WorkerMessage) => void): void
  /** Called once, when the process has ended (or could not start: code null, signal null). */
  onExit(listener: (exit: WorkerExit) => void): void
  /** Ends the process (SIGTERM or the platform's equivalent). */
  kill(): void
  /**
   * Whether this process may keep the host process alive: true while a job runs, false when
   * idle, so a CLI or test process can exit with an idle worker around.
   */
  keepHostAlive(keep: boolean): void
}

/** Starts the inference process from its entry file (out/main/worker.js, or worker.ts in tests). */
export type WorkerProcessSpawner = (entryFile: string) => WorkerProcess

/** "signal SIGKILL" or "exit code 3": how to say why a process ended. */
export function describeExit(exit: WorkerExit): string {
  if (exit.signal !== null) return `signal ${exit.signal}`
  if (exit.code !== null) return `exit code ${exit.code}`
  return 'it could not be started'
}
