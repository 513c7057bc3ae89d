import type { BrowserResult } from './browser-bench'
import type { BenchMode } from './bench-options'
import type { CfgCutoffRow, CfgIntervalRow, EngineResult } from './engine-bench'
import type { SnapshotResult } from './snapshot-bench'
import type { MachineInfo } from './machine-info'
import type { PreviewMethodsResult } from './preview-methods-bench'
import type { DiffusersReference } from './diffusers-reference'
import type { PythonReference } from './python-reference'

/** The seven items at one size: the keys the issue names, plus what they were measured on. */
export interface SizeResult {
  size: { width: number; height: number; latentWidth: number; latentHeight: number }
  /** 1. Denoising wall time − time in the UNet's session.run, per step (ms). */
  loopOverheadMsPerStep: number
  /** 1. The same as a fraction of the step's wall time. */
  loopOverheadFraction: number
  /** 2. Pipeline steps/s with all app callbacks ÷ bare UNet-loop steps/s. */
  rawLoopRatio: number
  /** 3. Measured vs predicted saving of each cutoff ratio. */
  cfgCutoff: CfgCutoffRow[]
  /** 3b. Measured vs predicted saving of a guidance interval (20–80 % of the steps). */
  cfgInterval: CfgIntervalRow
  /** 4. Step end in the inference process → pixels on the canvas (ms). */
  previewLatencyMs: { p50: number; p95: number }
  /** 5. Click → "stopped", and one step's time (ms). */
  stopLatencyMs: { p50: number; stepMs: number }
  /** 6. Event-loop lag of the main (server) process during a generation, p99 (ms). */
  mainLoopLagMsP99: number
  /** 7. RSS growth of the inference process from the first to the last generation (%). */
  rssGrowthPct: number
  /** Whether each item met its target (bench/README.md). */
  targets: Record<string, boolean>
  details: { engine: EngineResult['details']; browser: BrowserResult['details'] }
}

/** One benchmark run: the native size at the top level, 512×512 under `at512`. */
export interface BenchResult extends SizeResult {
  date: string
  mode: BenchMode
  machine: MachineInfo
  model: { dir: string; id: string; shipped: boolean }
  at512: SizeResult
  /** 8. Keeping the run's state after every step, at 512×512 (64×64 latents); target < 1 ms. */
  snapshot: SnapshotResult & { met: boolean }
  /** The Python/PyTorch reference loop at 64×64 latents (full runs), or why it was skipped. */
  pythonReference: PythonReference | { skipped: string }
  /**
   * Our loop overhead at 64×64 latents (`at512.loopOverheadMsPerStep`) ÷ the Python reference's
   * at the same latent size; target ≤ 1 (`targets.loopOverheadVsPython`). Null when the
   * reference was skipped.
   */
  loopOverheadVsPython: number | null
  /**
   * The same ratio against the Python loop with cold caches (`coldLoopOverheadMsPerStep`): like
   * with like, since ours is measured after a real UNet run. No target; null when not measured.
   */
  loopOverheadVsPythonCold?: number | null
  /**
   * diffusers' own StableDiffusionPipeline loop with a no-op UNet at 64×64 latents (full runs,
   * with a Python that has diffusers), or why it was skipped: what a diffusers user's loop costs,
   * where `pythonReference` is its lower bound.
   */
  diffusersReference: DiffusersReference | { skipped: string }
  /** `at512.loopOverheadMsPerStep` ÷ diffusers' loop's; no target. Null when skipped. */
  loopOverheadVsDiffusers: number | null
  /** The same ÷ diffusers' loop with cold caches; no target. Null when skipped or not measured. */
  loopOverheadVsDiffusersCold: number | null
  /**
   * `at512.loopOverheadMsPerStep` ÷ `diffusersReference.sameUnet.loopOverheadMsPerStep`:
   * diffusers' loop around the same ONNX UNet as ours (the model's `unet/model.onnx`, run by
   * onnxruntime with the app's session settings), the like-for-like comparison; target ≤ 1
   * (`targets.loopOverheadVsDiffusersSameUnet`). Null when skipped or not measured.
   */
  loopOverheadVsDiffusersSameUnet: number | null
  /** The page's clock minus this process's, from the best of 15 round trips (ms). */
  clockOffsetMs: { offsetMs: number; uncertaintyMs: number }
  durationS: number
  notes: string[]
  /** What each preview method costs per step and its latency, at both sizes (issue 16). */
  previewMethods?: PreviewMethodsResult
}
