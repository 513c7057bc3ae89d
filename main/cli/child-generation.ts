import { join } from 'node:path'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from '../app-paths'
import { forkSpawner } from '../inference/client/fork-inference-process'
import { InferenceClient } from '../inference/client/inference-client'
import type { GenerationHooks } from '../inference/host/generation-hooks'
import type { GenerationRequest, GenerationResult, InferenceEvent } from '../inference/protocol'

/** The CLI's one job, as the inference process knows it. */
const JOB_ID = 'cli'

/** What the CLI's generate reports as it runs: the inference process's hooks, less the state. */
export type CliGenerationHooks = Omit<GenerationHooks, 'stepState'>

/** A generation running in the CLI's inference process. */
export interface CliGeneration {
  /**
   * Settles with the result: the finished run, a regular stop's (decoded at the end of the step
   * in progress), or a stop now's (the last finished step, decoded by a fresh process); rejects
   * with the run's own error message.
   */
  readonly result: Promise<GenerationResult>
  /** Stops at the end of the step in progress; the image is still decoded. */
  stop(): void
  /**
   * Stops now: ends the inference process in the middle of its step. Returns the index of the
   * step whose image the result will be (null: none had finished), or undefined when there was
   * nothing to stop (the run had just ended).
   */
  stopNow(): number | null | undefined
  /** Ends the inference process at once (the third Ctrl-C, just before the CLI exits). */
  kill(): void
  /** Ends the inference process (after the result, or on an error) and waits until it is gone. */
  close(): Promise<void>
}

/**
 * Runs one generation in an inference child process, with the same entry, protocol and client
 * as the app, so that the CLI's "stop now" can end a step in the middle: onnxruntime-node's
 * `session.run` blocks the thread that calls it for the whole step, and in the CLI's own process
 * nothing (a Ctrl-C included) could be acted on before the step ended. The process sits in a
 * process group of its own, so the terminal's Ctrl-C reaches only the CLI, which decides what it
 * means; its stdout goes to the CLI's stderr, keeping `--json` output clean.
 */
export function startCliGeneration(
  request: GenerationRequest,
  hooks: CliGenerationHooks
): CliGeneration {
  const client = new InferenceClient({
    spawn: forkSpawner({
      detached: true,
      stdio: ['ignore', 2, 2, 'ipc'],
      // A model's attention check is kept in the app's data folder, so it runs on the model's
      // first CLI (or app) load only.
      env: {
        ...process.env,
        STEPWISE_GRAPH_PASS_CACHE_DIR: join(defaultUserDataDir(), GRAPH_PASS_CACHE_FOLDER)
      }
    })
  })
  const stopListening = client.onAny((event) => report(event, hooks))
  // Every step sends its state to the CLI (the app only sends slow ones): a stop now may come in
  // any step, and at the CLI's one run at a time the copy (the latents, 64 KiB at 512²; the prompt
  // embeddings only with the first step's state) costs little beside a step.
  const result = client.generate(JOB_ID, { ...request, stepStateAfterMs: 0 })
  return {
    result,
    stop: () => void client.stop(JOB_ID),
    stopNow: () => client.stopNow(JOB_ID)?.step,
    kill: () => {
      const pid = client.pid
      if (pid === null) return
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    },
    close: async () => {
      stopListening()
      await client.terminate()
    }
  }
}

/** Passes one event of the run on to the CLI's hooks. */
function report(event: InferenceEvent, hooks: CliGenerationHooks): void {
  if (event.jobId !== JOB_ID) return
  switch (event.type) {
    case 'state':
      hooks.phase(event.phase)
      return
    case 'load-progress':
      hooks.loadProgress?.(event.progress)
      return
    case 'step':
      void hooks.step(event.step)
      return
    case 'cutoff':
      hooks.cutoff(event.report)
      return
    case 'warning':
      hooks.warning(event.message)
      return
    case 'done':
    case 'failed':
      return
  }
}
