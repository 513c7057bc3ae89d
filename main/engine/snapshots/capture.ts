import type { Tensor } from 'onnxruntime-node'
import type { PipelineRunState } from '../callbacks/callback-types'
import type { Generator } from '../random/generator'
import type { Scheduler } from '../schedulers'
import { float32Data } from '../tensor/float-tensor'
import type { ModelIdentity, RunSnapshot, SnapshotTensor } from './run-snapshot'

/** What a snapshot is taken from: the run's fixed facts and its live state. */
export interface SnapshotSource {
  identity: ModelIdentity
  params: Record<string, unknown>
  timesteps: readonly number[]
  numInferenceSteps: number
  batchSize: number
  scheduler: Scheduler
  generator: Generator
  pipeline: PipelineRunState
  /** The loop's named tensors (the loop replaces them; it never writes into one). */
  tensors: Record<string, Tensor | null>
}

/**
 * A tensor as snapshot data. `copy` for the latents, which a callback could be handed and
 * change; the conditioning tensors are shared: the loop and the guidance helpers only ever
 * replace them with new tensors, so sharing is safe and keeps a snapshot per step cheap.
 */
function asData(t: Tensor, copy: boolean): SnapshotTensor {
  const data = float32Data(t)
  return { dims: [...t.dims], data: copy ? data.slice() : data }
}

/** Takes the run's snapshot at the end of step `step` (after its callbacks). */
export function captureRunSnapshot(source: SnapshotSource, step: number): RunSnapshot {
  const { pipeline } = source
  const tensors: RunSnapshot['tensors'] = {}
  for (const [name, t] of Object.entries(source.tensors)) {
    tensors[name] = t === null ? null : asData(t, name === 'latents')
  }
  const kept = pipeline._keptAside
  const state = source.generator.getState()
  return {
    model: source.identity,
    params: source.params,
    step,
    timesteps: [...source.timesteps],
    numInferenceSteps: source.numInferenceSteps,
    batchSize: source.batchSize,
    scheduler: source.scheduler.captureState(),
    generator: {
      seed: state.seed.toString(),
      words: state.twister.words,
      index: state.twister.index,
      nextDoubleNormal: state.nextDoubleNormal
    },
    guidance: {
      guidanceScale: pipeline._guidanceScale,
      guidanceRescale: pipeline._guidanceRescale,
      cfg: pipeline.doClassifierFreeGuidance,
      keptAside:
        kept === null
          ? null
          : {
              guidanceScale: kept.guidanceScale,
              tensors: Object.fromEntries(
                Object.entries(kept.tensors).map(([name, t]) => [name, asData(t, false)])
              )
            }
    },
    tensors,
    meta: {}
  }
}
