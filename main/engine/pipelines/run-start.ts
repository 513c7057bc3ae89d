import type { Tensor } from 'onnxruntime-node'
import type { PipelineRunState } from '../callbacks/callback-types'
import type { ModelFolder } from '../models/model-folder'
import { getDefaultGenerator, type Generator } from '../random/generator'
import type { Scheduler } from '../schedulers'
import { generatorOf } from '../snapshots/resume'
import type { RunSnapshot } from '../snapshots/run-snapshot'
import type { LoopTensors } from './denoising-loop'
import type { FamilyHooks } from './family-hooks'
import { prepareLatents } from './generation-helpers'
import type { ImageRunHooks, PreparedImageRun } from './image-run-types'
import type { LoadedModels } from './loaded-models'
import type { CallOptions } from './pipeline-types'
import { restoredScheduler, restoreSnapshotGuidance } from './resumed-run'

/** The pipeline as a run's start sees it: its run state and its (replaceable) scheduler. */
export interface RunStartHost extends PipelineRunState {
  scheduler: Scheduler
  readonly folder: ModelFolder
}

/** What a run's start needs: the call, the encoded conditioning and the models. */
export interface RunStartArgs {
  o: CallOptions
  snap: RunSnapshot | null
  family: FamilyHooks
  image: ImageRunHooks | undefined
  /** The steps the call asked for (defaults filled in). */
  numInferenceSteps: number
  /** The loop's tensors; the latents (and an image run's mask tensors) are added to them. */
  tensors: LoopTensors
  latentShape: number[]
  /** A continued run's latents (already checked against `latentShape`). */
  given: Tensor | null | undefined
  models: LoadedModels
  batchSize: number
  unetChannels: number
  /** Whether the prompts were encoded anew (a branch) rather than taken from the snapshot. */
  encoded: boolean
  askedScale: number | undefined
}

/** Where the loop starts: its timesteps, generator and starting latents. */
export interface RunStart {
  timesteps: readonly number[]
  numInferenceSteps: number
  generator: Generator
  /** Where step 0 sits in the scheduler's full timestep list (image runs enter later). */
  startStep: number
  /** An image run's latents, mask tensors and per-step work; null otherwise. */
  prepared: PreparedImageRun | null
}

/**
 * Sets the timesteps and the starting latents, in diffusers' order: `set_timesteps`, an image
 * run's `get_timesteps`, SDXL's `denoising_end` trim, then the latents (noise × `initNoiseSigma`,
 * or the encoded picture noised to the first timestep). A continued run instead takes the
 * snapshot's scheduler, timesteps, latents, generator and guidance, so it goes on exactly where
 * it stopped.
 */
export async function startRun(host: RunStartHost, args: RunStartArgs): Promise<RunStart> {
  const { o, snap, image, tensors } = args
  if (snap !== null) {
    host.scheduler = restoredScheduler(snap)
    tensors.latents = args.given as Tensor
    const generator = generatorOf(snap)
    restoreSnapshotGuidance(host, snap, tensors, args.encoded, args.askedScale)
    return {
      timesteps: snap.timesteps,
      numInferenceSteps: snap.numInferenceSteps,
      generator,
      startStep: 0,
      prepared: null
    }
  }
  const scheduler = host.scheduler
  scheduler.setTimesteps(args.numInferenceSteps)
  let timesteps: readonly number[] = [...scheduler.timesteps]
  let numInferenceSteps = args.numInferenceSteps
  let startStep = 0
  let prepared: PreparedImageRun | null = null
  if (image !== undefined) {
    const start = image.startTimesteps(scheduler, numInferenceSteps)
    ;({ timesteps, numInferenceSteps } = start)
    startStep = start.startIndex
    if (timesteps.length === 0) {
      throw new Error(
        `strength ${String(image.strength)} with ${args.numInferenceSteps} steps runs no denoising step (int(${args.numInferenceSteps} · ${String(image.strength)}) = 0); raise the strength or the number of steps`
      )
    }
  }
  if (args.family.adjustTimesteps !== undefined) {
    ;({ timesteps, numInferenceSteps } = args.family.adjustTimesteps(timesteps, numInferenceSteps))
  }
  if (image === undefined) {
    tensors.latents = prepareLatents(
      args.latentShape,
      o.generator,
      o.latents,
      scheduler.initNoiseSigma
    )
  } else {
    prepared = await image.prepareLatents({
      folder: host.folder,
      models: args.models,
      scheduler,
      timesteps,
      batchSize: args.batchSize,
      doClassifierFreeGuidance: host.doClassifierFreeGuidance,
      generator: o.generator,
      latents: o.latents ?? null,
      latentSize: [args.latentShape[2] as number, args.latentShape[3] as number],
      unetChannels: args.unetChannels
    })
    Object.assign(tensors, prepared.tensors)
    tensors.latents = prepared.latents
  }
  const generator = Array.isArray(o.generator)
    ? (o.generator[0] as Generator)
    : (o.generator ?? getDefaultGenerator())
  return { timesteps, numInferenceSteps, generator, startStep, prepared }
}
