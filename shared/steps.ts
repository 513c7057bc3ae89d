import type { PreviewMethodName } from './preview-method'

/**
 * What a denoising step did, one definition for every layer: the engine's per-step record, the
 * inference process's step report, the `job:step` event and the renderer's step list extend these.
 */

/** One step's measurements (no tensors, no pixels). */
export interface StepMetrics {
  /** Loop index i, as diffusers' callback numbers it (0 … T − 1). */
  index: number
  /** The scheduler's timestep value. */
  timestep: number
  /** Wall time of the whole step: UNet, guidance, scheduler, callbacks. */
  ms: number
  /** Time inside the UNet's `session.run` (all chunks of the step). */
  unetMs: number
  /** Rows the UNet computed: 2B with classifier-free guidance, B without. */
  unetBatch: number
  /**
   * The UNet's `session.run` calls that computed those rows: 1, or one per row in the low-memory
   * mode (one per chunk for a graph exported with a fixed batch). Absent where not reported.
   */
  unetCalls?: number
  /** Whether classifier-free guidance was applied in this step. */
  cfg: boolean
  /** The guidance scale this step read (0 once guidance was turned off; it can change live). */
  guidanceScale: number
}

/** A finished step as the app reports it while the run goes. */
export interface StepReport extends StepMetrics {
  /** Timesteps in the loop (T). */
  total: number
  /**
   * When the step ended in the inference process, callbacks and preview included: epoch
   * milliseconds with sub-millisecond precision (`performance.timeOrigin + performance.now()`),
   * comparable with the same clock in other processes on this machine (main, the renderer). The
   * benchmark measures preview latency from it (bench/README.md).
   */
  endedAt: number
  /**
   * The method that made this step's preview (`linear`, `tiny`, `vae`; a `vae:N` run makes both
   * `vae` and `linear` ones); absent when the step had no preview. Reported with the step even
   * when its pixels were superseded on the way (previews are latest-wins, metadata is not).
   */
  previewMethod?: PreviewMethodName
  /** What making that preview cost, in ms (decoder run and conversion; part of `ms`). */
  previewMs?: number
}
