import type { GraphPassReport, SessionSettings } from '../../main/engine'
import type { RunPair } from './unet-run-pairs'

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
  /** Pair each of the generation's UNet runs with a bare one (default: yes). */
  pairs?: boolean
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
      /** The step times, less the bare runs paired with them. */
      stepsMs: number[]
      /**
       * Each UNet run of the generation paired with a bare `session.run` on the same session and
       * a copy of its feeds, the order alternating (see unet-run-pairs.ts).
       */
      pairs: RunPair[]
      /** CPU ms by thread name during the generation's UNet runs and during the bare runs. */
      threadCpuMs: { pipeline: Record<string, number>; bare: Record<string, number> }
      latents: number[]
      /** RSS when the last step ended (what is held as the VAE decode starts). */
      rssBeforeDecodeBytes: number | null
      /** Peak RSS from the end of the last step on (the decode), or null where not measurable. */
      decodePeakRssBytes: number | null
    } & Memory)
  | ({ type: 'done' } & Memory)
  | { type: 'error'; message: string }
