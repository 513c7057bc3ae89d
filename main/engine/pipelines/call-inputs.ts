import { RunSnapshotError, type RunSnapshot } from '../snapshots/run-snapshot'
import type { ResolvedCallback } from './denoising-loop'
import type { FamilyHooks } from './family-hooks'
import { checkCallOptions, checkGenerators, type ResolvedOptions } from './generation-helpers'
import type { ImageRunHooks } from './image-run-types'
import type { RunShape } from './memory-estimate'
import type { PipelineDefaults } from './model-pipeline'
import { promptBatchSize } from './pipeline-loading'
import type { CallOptions, OutputType } from './pipeline-types'
import { resolveStepEndCallback } from './resolve-callback'
import { currentGuidanceScale } from './resumed-run'

export type { ResolvedOptions } from './generation-helpers'

/** What a call is, once its inputs are checked and nothing has run yet. */
export interface CallInputs {
  /** A continued run's scale when the call asks for another than its run started with. */
  askedScale: number | undefined
  /** The step-end callback and its loop-start hook (see resolve-callback.ts). */
  callback: ResolvedCallback | null
  loopStart: ResolvedCallback | null
  tensorInputs: readonly string[]
  resolved: ResolvedOptions
  outputType: OutputType
  /** Effective batch B (prompts × images per prompt, or the snapshot's). */
  batchSize: number
  /** The run's size and rows, for the memory check. */
  shape: RunShape
}

/** What the pipeline gives {@link resolveCallInputs} besides the call. */
export interface CallInputsContext {
  family: FamilyHooks
  image: ImageRunHooks | undefined
  defaults: PipelineDefaults
  vaeScaleFactor: number
  sizeMultiple: number
  callbackTensorInputs: readonly string[]
}

/**
 * Resolves and checks a call's inputs in diffusers' order (callback override, defaults,
 * `check_inputs`), before any model runs, so a bad call is refused with nothing loaded; the
 * order is kept as it was since it decides which message a call with several faults gets.
 */
export function resolveCallInputs(
  o: CallOptions,
  asked: CallOptions,
  context: CallInputsContext
): CallInputs {
  const { family, image, defaults: d } = context
  const snap = o.resumeFrom ?? null
  if (snap !== null && image !== undefined) {
    // The picture's latents, noise and mask live outside the run state a snapshot keeps.
    throw new RunSnapshotError(
      'resumeFrom: image-to-image and inpainting runs cannot be continued; start a new run from the picture'
    )
  }
  // A continued run keeps the scale its guidance has now (a live change included) unless the
  // call asks for another than the run was started with.
  const askedScale =
    snap !== null && asked.guidanceScale !== snap.params.guidanceScale
      ? asked.guidanceScale
      : undefined
  const { callback, loopStart, tensorInputs } = resolveStepEndCallback(
    o.callbackOnStepEnd,
    o.callbackOnStepEndTensorInputs,
    context.callbackTensorInputs
  )
  // An image run takes its size from the picture (img2img) or the options (inpainting), after
  // checking and preprocessing them; nothing has run yet either way.
  const { height, width } =
    image === undefined
      ? { height: o.height ?? d.height, width: o.width ?? d.width }
      : image.prepareInputs({
          defaults: d,
          vaeScaleFactor: context.vaeScaleFactor,
          sizeMultiple: context.sizeMultiple
        })
  // A continued run of prompt embeddings keeps the snapshot's conditioning: it has no prompt.
  const promptsFromSnapshot =
    snap !== null && (o.prompt ?? null) === null && (o.promptEmbeds ?? null) === null
  family.checkInputs({
    height,
    width,
    tensorInputs,
    promptsFromSnapshot,
    sizeMultiple: context.sizeMultiple
  })
  const resolved: ResolvedOptions = {
    numInferenceSteps: o.numInferenceSteps ?? d.numInferenceSteps,
    guidanceScale:
      snap === null
        ? (o.guidanceScale ?? d.guidanceScale)
        : (askedScale ?? currentGuidanceScale(snap)),
    guidanceRescale: o.guidanceRescale ?? d.guidanceRescale,
    numImagesPerPrompt: o.numImagesPerPrompt ?? 1,
    height,
    width
  }
  checkCallOptions(o, resolved)
  const outputType: OutputType = o.outputType ?? 'image'
  const B = promptsFromSnapshot
    ? (snap as RunSnapshot).batchSize
    : promptBatchSize(o.prompt, o.promptEmbeds) * resolved.numImagesPerPrompt
  if (snap !== null && B !== snap.batchSize) {
    throw new RunSnapshotError(
      `resumeFrom: the snapshot's run makes ${snap.batchSize} image(s) at once, the new prompts ${B}; a branch keeps the number of images`
    )
  }
  checkGenerators(o.generator, B)
  const shape = {
    height,
    width,
    unetRows: B * (resolved.guidanceScale > 1 ? 2 : 1),
    images: outputType === 'image' ? B : 0
  }
  return {
    askedScale,
    callback,
    loopStart,
    tensorInputs,
    resolved,
    outputType,
    batchSize: B,
    shape
  }
}

/** Whether an image run will encode pixels (not when the caller gives latents for everything). */
export function needsEncoder(o: CallOptions, image: ImageRunHooks): boolean {
  return image.kind === 'inpaint' || o.latents === undefined || o.latents === null
}

/**
 * A 9-channel inpainting UNet only runs in an inpainting pipeline, and an inpainting pipeline
 * needs a 4- or 9-channel UNet; said before any step instead of failing inside onnxruntime.
 */
export function checkUnetChannels(channels: number, image: ImageRunHooks | undefined): void {
  if (image?.kind === 'inpaint') return
  if (channels === 9) {
    throw new Error(
      `this model's UNet takes 9 input channels (latents, mask and masked-image latents): it is an inpainting model; use StableDiffusionInpaintPipeline / StableDiffusionXLInpaintPipeline or AutoPipelineForInpainting with an image and a mask`
    )
  }
}
