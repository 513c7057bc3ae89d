import type { ImageParameters } from '../../shared/a1111-parameters'
import type { GenerateParams, ResultMetadata } from '../../shared/contract'

/**
 * The values written into a stored PNG's A1111 `parameters` chunk: what actually ran (model
 * defaults filled in, the CFG cutoff as it stood at the end, where a stopped run stopped), so
 * restoring them from the file reproduces the image.
 */
export function imageParametersOf(
  params: GenerateParams,
  result: ResultMetadata,
  appVersion: string
): ImageParameters {
  return {
    prompt: params.prompt,
    negativePrompt: params.negativePrompt,
    steps: result.numInferenceSteps,
    scheduler: result.scheduler,
    useKarrasSigmas: result.useKarrasSigmas,
    ...(result.algorithmType === undefined ? {} : { algorithmType: result.algorithmType }),
    guidanceScale: result.guidanceScale,
    seed: result.seed,
    width: result.width,
    height: result.height,
    model: result.modelId,
    guidanceRescale: params.guidanceRescale,
    cfgCutoff: result.cfgCutoff,
    stoppedAtStep: result.interrupted ? result.stepsRun - 1 : null,
    provider: result.provider,
    version: `Stepwise ${appVersion}`
  }
}
