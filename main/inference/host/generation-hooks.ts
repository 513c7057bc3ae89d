import type { CfgCutoff } from '../../../shared/params'
import type { CutoffReport, GenerationResult, InferencePhase, InferenceStep } from '../protocol'

/**
 * How a generation reports while it runs. The inference process forwards these as messages; the
 * CLI, which
 * runs generations in-process, prints and saves them. Same code path, two front ends.
 */
export interface GenerationHooks {
  phase(phase: InferencePhase): void
  /**
   * One finished step; `step.preview.rgba` is a fresh buffer the hook may transfer. The next step
   * starts when a returned promise settles (the inference process waits for a full-size preview
   * to leave it: see entry.ts).
   */
  step(step: InferenceStep): void | Promise<void>
  /** The live CFG cutoff changed state (set, refused, locked). */
  cutoff(report: CutoffReport): void
  warning(message: string): void
}

/** Controls of a running generation. */
export interface GenerationRun {
  /** Sets the interrupt flag: honoured at the top of the next step; the image is still decoded. */
  stop(): void
  /** Changes the live cutoff if its step has not been reached; the report says what happened. */
  setCfgCutoff(cutoff: CfgCutoff | null): CutoffReport
  /** Settles when the image is decoded (or the run failed, with the engine's message). */
  readonly result: Promise<GenerationResult>
}
