import type { CfgCutoff, CfgInterval } from '../../shared/params'
import type { RunSnapshot } from '../engine'
import type { GenerationRequest, GenerationResult, InferenceEvent } from '../inference/protocol'

/**
 * What the queue needs from the inference process; `InferenceClient`
 * (main/inference/client/inference-client.ts, a child process) is the implementation. One job at a time:
 * `generate` settles when the job ends, and a process that dies fails the running job and
 * restarts on the next one.
 */
export interface InferenceRunner {
  generate(jobId: string, request: GenerationRequest): Promise<GenerationResult>
  stop(jobId: string): boolean
  setCfgCutoff(jobId: string, cutoff: CfgCutoff | null): boolean
  setCfgInterval(jobId: string, interval: CfgInterval | null): boolean
  setGuidanceScale(jobId: string, guidanceScale: number): boolean
  /** The state at the end of a step of the running or last finished job, kept in memory. */
  snapshot(jobId: string, step: number): Promise<RunSnapshot>
  /**
   * "Stop now": ends the inference process mid-step; `generate` then resolves with the last
   * finished step decoded (no image when none had finished). Null when it cannot (the caller
   * stops the regular way). Optional for runners without a process of their own.
   */
  stopNow?(jobId: string): { step: number | null } | null
  onAny(listener: (event: InferenceEvent) => void): () => void
  terminate(): Promise<void>
  /** Frees the loaded sessions (after the running job); optional for runners without any. */
  release?(): void
}
