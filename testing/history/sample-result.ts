import type { GenerateParams, ResultMetadata, RgbaImage } from '../../shared/contract'
import type { NewHistoryResult } from '../../main/history/history-store'

/** A solid-colour RGBA image. */
export function solidImage(width: number, height: number, value: number): RgbaImage {
  const rgba = new Uint8Array(width * height * 4).fill(value)
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255
  return { width, height, rgba }
}

/** A plausible stored result (the values a 4-step run of the fixture model reports). */
export function sampleResult(prompt = 'a red circle', previews: number[] = []): NewHistoryResult {
  const params: GenerateParams = {
    modelId: 'tiny-sd-random',
    prompt,
    negativePrompt: 'blurry',
    numInferenceSteps: 4,
    guidanceScale: 7.5,
    guidanceRescale: 0,
    width: 64,
    height: 64,
    seed: 1234,
    scheduler: 'EulerDiscreteScheduler',
    useKarrasSigmas: false,
    cfgCutoff: { ratio: 0.5 },
    cfgInterval: null,
    resumeFrom: null,
    stopAtStep: null,
    previewEvery: 1,
    numImagesPerPrompt: 1,
    keepPreviews: previews.length > 0,
    provider: 'cpu'
  }
  const result: ResultMetadata = {
    modelId: 'tiny-sd-random',
    modelName: 'tiny-sd-random',
    seed: 1234,
    width: 64,
    height: 64,
    scheduler: 'EulerDiscreteScheduler',
    useKarrasSigmas: false,
    numInferenceSteps: 4,
    numTimesteps: 4,
    guidanceScale: 7.5,
    stepsRun: 4,
    interrupted: false,
    cfgCutoff: { ratio: 0.5 },
    cfgCutoffStep: 2,
    provider: 'cpu',
    totalMs: 120,
    unetMs: 80,
    unetSavedFraction: 0.25,
    warnings: []
  }
  return {
    params,
    result,
    image: solidImage(64, 64, 200),
    previews: previews.map((index) => ({ index, image: solidImage(8, 8, index * 10) }))
  }
}
