/**
 * "Display intermediate images" — diffusers docs, using-diffusers/callback.md, third example.
 *
 * `decode_tensors` converts the first latent image of the batch to RGB after every step and saves
 * it as `<step>.png`. The conversion is not a VAE decode but the docs' linear 4 → 3 channel map
 * for SDXL latents (weights R (60, −60, 25, −70), G (60, −5, 15, −50), B (60, 10, −5, −35), biases
 * (150, 140, 130), clamped to 0…255 and truncated to bytes): `latentsToRGB` with
 * `SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS`. The pictures have latent resolution (width/8 ×
 * height/8). `callbackOnStepEndTensorInputs: ['latents']` asks for the latents, which the callback
 * only reads.
 */
import { join } from 'node:path'
import type {
  CallbackKwargs,
  FloatTensor,
  PipelineOutput,
  PipelineRunState,
  RgbaImage
} from '@stepwise/engine'
import {
  AutoPipelineForText2Image,
  SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS,
  index,
  latentsToRGB,
  saveImage
} from '@stepwise/engine'

/** The docs' `latents_to_rgb`: one `[4, h, w]` latent image to RGB. */
export function latentsToRgbDocs(latents: FloatTensor): RgbaImage {
  return latentsToRGB(latents, SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS)
}

/** The docs' `decode_tensors`, writing into `outDir`. */
function decodeTensors(outDir: string) {
  return async (
    _pipe: PipelineRunState,
    step: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): Promise<CallbackKwargs> => {
    const latents = callbackKwargs.latents
    if (latents === null || latents === undefined) throw new Error('latents were not passed')
    const image = latentsToRgbDocs(index(latents, 0))
    await saveImage(image, join(outDir, `${step}.png`))
    return callbackKwargs
  }
}

/** Runs the example on an SDXL model folder, writing one `<step>.png` per step into `outDir`. */
export async function displayIntermediateImagesExample(
  modelDir: string,
  outDir: string
): Promise<PipelineOutput<'image'>> {
  const pipeline = await AutoPipelineForText2Image.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  try {
    return await pipeline.call({
      prompt: 'A croissant shaped like a cute bear.',
      negativePrompt: 'Deformed, ugly, bad anatomy',
      callbackOnStepEnd: decodeTensors(outDir),
      callbackOnStepEndTensorInputs: ['latents']
    })
  } finally {
    await pipeline.release()
  }
}
