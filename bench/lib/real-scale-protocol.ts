import type { GraphPassReport, SessionSettings } from '../../main/engine'

/** What one real-scale child process measures (see real-scale-process.ts). */
export interface RealScaleJob {
  /** `unet`: time UNet runs alone; `pipeline`: one whole generation (encode, denoise, decode). */
  kind: 'unet' | 'pipeline'
  modelDir: string
  settings: SessionSettings
  width: number
  height: number
  /** UNet batch (2: classifier-free guidance of one image). */
  batch: number
  /** UNet runs, or the pipeline's steps. */
  runs: number
}

interface Memory {
  rssBytes: number
  /** VmHWM: the process's peak resident set so far. */
  peakRssBytes: number
}

/** Messages from the child, in order: loaded, run/step…, pipeline, done (or error). */
export type RealScaleMessage =
  | ({ type: 'loaded'; loadMs: number; graphPasses: GraphPassReport[] } & Memory)
  | ({ type: 'run'; run: number; ms: number; maxAbsOutput: number } & Memory)
  | ({ type: 'step'; index: number; ms: number } & Memory)
  | ({
      type: 'pipeline'
      ms: number
      unetMs: number
      stepsMs: number[]
      /** Time inside the UNet's `session.run` at each step of the generation. */
      stepsUnetMs: number[]
      /** `session.run` on the same session with each step's feeds, alone, right after that step. */
      bareUnetMs: number[]
      /** CPU time of the process (every thread) during each of those runs, ms. */
      stepsUnetCpuMs: number[]
      bareUnetCpuMs: number[]
      /** CPU ms by thread name during the generation's UNet runs and during the bare runs. */
      threadCpuMs: { pipeline: Record<string, number>; bare: Record<string, number> }
      latents: number[]
    } & Memory)
  | ({ type: 'done' } & Memory)
  | { type: 'error'; message: string }
