/**
 * "Early stopping" — diffusers docs, using-diffusers/callback.md, second example.
 *
 * A plain callback sets `pipeline._interrupt = true` at the end of step index 10 of 50. The loop
 * then skips the remaining steps (diffusers `continue`s rather than breaking) and still decodes
 * the partially denoised latents, so the call returns an image after 11 denoising steps (indices
 * 0…10), not 10. The docs load the SD 1.5 checkpoint with StableDiffusionXLPipeline, which cannot
 * work; its previous revision used StableDiffusionPipeline, as here.
 */
import { join } from 'node:path'
import type { CallbackKwargs, PipelineOutput, PipelineRunState } from '@stepwise/engine'
import { StableDiffusionPipeline, saveImage } from '@stepwise/engine'

function interruptCallback(
  pipeline: PipelineRunState,
  i: number,
  _t: number,
  callbackKwargs: CallbackKwargs
): CallbackKwargs {
  const stopIdx = 10
  if (i === stopIdx) {
    pipeline._interrupt = true
  }
  return callbackKwargs
}

/** Runs the example on an SD 1.x model folder and writes `early_stopping.png` into `outDir`. */
export async function earlyStoppingExample(
  modelDir: string,
  outDir: string
): Promise<PipelineOutput<'image'>> {
  const pipeline = await StableDiffusionPipeline.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  const numInferenceSteps = 50
  try {
    const output = await pipeline.call({
      prompt: 'A photo of a cat',
      numInferenceSteps,
      callbackOnStepEnd: interruptCallback
    })
    const image = output.images[0]
    if (image !== undefined) await saveImage(image, join(outDir, 'early_stopping.png'))
    return output
  } finally {
    await pipeline.release()
  }
}
