import type { Tensor } from 'onnxruntime-node'
import type { ModelFolder } from '../models/model-folder'
import type { Generator } from '../random/generator'
import type { Scheduler } from '../schedulers'
import type { LoopTensors } from './denoising-loop'
import type { StartTimesteps } from './image-timesteps'
import type { LoadedModels } from './loaded-models'

/** What an image run's latent preparation gets from the pipeline. */
export interface ImageRunContext {
  folder: ModelFolder
  models: LoadedModels
  scheduler: Scheduler
  /** The run's timesteps (after `getTimesteps` and any `denoisingEnd` trim). */
  timesteps: readonly number[]
  /** Effective batch B (prompts × images per prompt). */
  batchSize: number
  /** Whether CFG is on at the start of the loop (the mask tensors are doubled then). */
  doClassifierFreeGuidance: boolean
  generator: Generator | Generator[] | null | undefined
  /** The caller's `latents`, if any. */
  latents: Tensor | null
  /** The run's latent size `[h, w]`. */
  latentSize: [number, number]
  /** The UNet's input channels (9 for an inpainting UNet). */
  unetChannels: number
}

/** What the loop needs beyond text-to-image's. */
export interface PreparedImageRun {
  /** The loop's starting latents. */
  latents: Tensor
  /** Named tensors added to the loop's (callbacks may read and replace them): `mask`, `masked_image_latents`. */
  tensors: LoopTensors
  /**
   * 9-channel inpainting UNets: the names of the loop tensors concatenated after the scaled
   * latents along the channel axis (diffusers' `cat([x, mask, masked_image_latents], dim=1)`).
   */
  extraInputChannels: readonly string[]
  /** 4-channel inpainting: the known region blended back after every scheduler step. */
  afterStep: ((stepIndex: number, tensors: LoopTensors, cfg: boolean) => void) | null
}

/** The parts of a call that differ when it starts from an image (img2img, inpainting). */
export interface ImageRunHooks {
  readonly kind: 'img2img' | 'inpaint'
  /** The strength the run was asked for (null when SDXL's `denoisingStart` replaced it). */
  readonly strength: number | null
  /**
   * Checks the image options and preprocesses the picture (and mask) before any model runs;
   * returns the run's size.
   */
  prepareInputs(args: {
    defaults: { height: number; width: number }
    vaeScaleFactor: number
    /** The model's size multiple: a picture's own size is rounded down to it. */
    sizeMultiple: number
  }): {
    height: number
    width: number
  }
  /** diffusers' `get_timesteps` after `set_timesteps`. */
  startTimesteps(scheduler: Scheduler, numInferenceSteps: number): StartTimesteps
  /** The starting latents, the mask tensors and the per-step work. */
  prepareLatents(context: ImageRunContext): Promise<PreparedImageRun>
}
