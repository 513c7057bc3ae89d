import { readFileSync } from 'node:fs'
import { decodeImage, ModelLoadError, resolvePreviewDecoder } from '../engine'
import type { GenerationRequest, RgbaFrame } from '../inference/protocol'
import type { GenerateOptions } from './generate-options'
import type { ResumeSource } from './resume-run'
import { UsageError } from './usage-error'

/**
 * The request `generate`'s options make, before the model's defaults fill the values left out;
 * with `--resume`, the snapshot to continue from.
 */
export function requestOf(
  options: GenerateOptions,
  source: ResumeSource | null
): GenerationRequest {
  return {
    modelDir: options.modelDir,
    provider: options.provider,
    prompt: options.prompt,
    negativePrompt: options.negativePrompt,
    numInferenceSteps: options.numInferenceSteps,
    guidanceScale: options.guidanceScale,
    guidanceRescale: 0,
    width: options.width,
    height: options.height,
    seed: options.seed,
    scheduler: options.scheduler,
    useKarrasSigmas: options.useKarrasSigmas,
    algorithmType: options.algorithmType,
    cfgCutoff: options.cfgCutoff,
    cfgInterval: options.cfgInterval,
    stopAtStep: options.stopAtStep,
    previewEvery: 1,
    numImagesPerPrompt: 1,
    ...(options.previewDecoder === null ? {} : { previewDecoder: options.previewDecoder }),
    ...(source === null ? {} : { resumeFrom: source.snapshot }),
    ...(options.saveState === null ? {} : { keepSnapshots: 'last' as const })
  }
}

/**
 * Reads a PNG or JPEG picture given on the command line; an unreadable, damaged or oversized file
 * is a usage error naming the flag.
 */
export function readPicture(flag: string, file: string): RgbaFrame {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`
    )
  }
  try {
    const image = decodeImage(bytes, `${flag} ${JSON.stringify(file)}`)
    return { width: image.width, height: image.height, rgba: image.data.slice().buffer }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/**
 * The preview method this run uses: the one asked for; else, with `--previews`, the model's
 * default (`tiny` where a tiny decoder is at hand); else `linear`, the cheapest, since nothing
 * is written. `tiny` without a decoder is refused here, before anything runs (exit code 2).
 */
export async function choosePreviewMethod(
  options: GenerateOptions,
  modelName: string,
  hasOwnDecoder: boolean
): Promise<string> {
  if (options.previewDecoder !== null) {
    try {
      await resolvePreviewDecoder(options.previewDecoder)
    } catch (error) {
      if (error instanceof ModelLoadError)
        throw new UsageError(`--preview-decoder: ${error.message}`)
      throw error
    }
  }
  const hasDecoder = hasOwnDecoder || options.previewDecoder !== null
  if (options.previewMethod === 'tiny' && !hasDecoder) {
    throw new UsageError(
      `--preview-method tiny: ${modelName} has no tiny preview decoder (preview_decoder/model.onnx in its folder); give --preview-decoder DIR (a TAESD folder such as a download of deinferno/taesd-onnx for SD 1.x/2.x or julienkay/taesdxl for SDXL), or use linear or vae:N`
    )
  }
  if (options.previewMethod !== null) return options.previewMethod
  return options.previewsDir !== null && hasDecoder ? 'tiny' : 'linear'
}
