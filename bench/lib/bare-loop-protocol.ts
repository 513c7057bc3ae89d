import type { RunConfig } from './run-config'

/**
 * Messages between the benchmark and its bare-loop process (bare-loop-process.ts), which runs
 * the UNet session alone, in a process of its own like the inference process.
 */

/** benchmark → bare-loop process. */
export type BareLoopCommand =
  /** Record the UNet feeds of one pipeline run of `config`, then open a session of its own. */
  | { type: 'prepare'; modelDir: string; config: RunConfig }
  /** Run the recorded feeds through the session once, timing it. */
  | { type: 'run' }

/** bare-loop process → benchmark. */
export type BareLoopReply =
  | { type: 'ready'; steps: number; feedShapes: Record<string, number[]> }
  | { type: 'ran'; totalMs: number; iterationMs: number[] }
  | { type: 'error'; message: string }
