import { basename } from 'node:path'
import type { ImageParameters } from '../../../shared/a1111-parameters'
import type { GenerationRequest, GenerationResult } from '../worker-protocol'

/**
 * What to write into an image's `parameters` chunk for a finished generation: the values that
 * actually ran (the model's defaults filled in, the CFG cutoff as it stood at the end, where an
 * interrupted run stopped), so restoring them from the PNG reproduces the image.
 */
export function imageParametersFor(
  request: GenerationRequest,
  result: GenerationResult,
  version?: string
): ImageParameters {
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    steps: result.numInferenceSteps,
    scheduler: result.scheduler,
    useKarrasSigmas: result.useKarrasSigmas,
    ...(result.algorithmType === undefined ? {} : { algorithmType: result.algorithmType }),
    guidanceScale: result.guidanceScale,
    seed: result.seed,
    width: result.width,
    height: result.height,
    model: basename(request.modelDir),
    guidanceRescale: request.guidanceRescale,
    cfgCutoff: result.cfgCutoff,
    stoppedAtStep: result.interrupted ? result.stepsRun - 1 : null,
    provider: result.provider,
    version
  }
}
