import type { ModelLoadProgress } from '../../../shared/contract'
import type { CfgCutoff, CfgInterval } from '../../../shared/params'
import type { RunSnapshot } from '../../engine'
import type { CutoffReport, GenerationResult, InferencePhase, InferenceStep } from '../protocol'

/**
 * How a generation reports while it runs. The inference process forwards these as messages to
 * main, where the app's job queue and the CLI (main/cli/child-generation.ts) take them.
 */
export interface GenerationHooks {
  phase(phase: InferencePhase): void
  /** A model component started or finished loading (while the phase is `loading`). */
  loadProgress?(progress: ModelLoadProgress): void
  /**
   * One finished step; `step.preview.rgba` is a fresh buffer the hook may transfer. The next step
   * starts when a returned promise settles (the inference process waits for a full-size preview
   * to leave it: see entry.ts).
   */
  step(step: InferenceStep): void | Promise<void>
  /**
   * A slow step's run state (see `GenerationRequest.stepStateAfterMs`), before its `step`; the
   * next step waits for a returned promise. Omitted: not kept outside the process.
   */
  stepState?(snapshot: RunSnapshot): void | Promise<void>
  /** The live guidance changed state (set, refused, started, ended). */
  cutoff(report: CutoffReport): void
  warning(message: string): void
}

/** Controls of a running generation. */
export interface GenerationRun {
  /** Sets the interrupt flag: honoured at the top of the next step; the image is still decoded. */
  stop(): void
  /** Changes the live cutoff if its step has not been reached; the report says what happened. */
  setCfgCutoff(cutoff: CfgCutoff | null): CutoffReport
  /** Changes the live guidance interval where its bounds have not been reached. */
  setCfgInterval(interval: CfgInterval | null): CutoffReport
  /** Sets the guidance scale from the next step on. */
  setGuidanceScale(guidanceScale: number): CutoffReport
  /**
   * The run's state at the end of step `step` (kept in memory for every step that ran, to branch
   * from), or null for a step that did not run. Plain data: it can be posted as it is.
   */
  snapshot(step: number): RunSnapshot | null
  /** The state after the last step that ran (what "stop now" continues from), or null. */
  lastSnapshot(): RunSnapshot | null
  /** Settles when the image is decoded (or the run failed, with the engine's message). */
  readonly result: Promise<GenerationResult>
}
