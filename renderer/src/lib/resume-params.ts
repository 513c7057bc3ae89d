import type { GenerateParams, ResultMetadata } from '../contract'

/**
 * The parameters of a finished run as it actually ran (the model's defaults and a drawn seed
 * filled in, guidance settings as they ended), for Continue and Branch: main checks that a
 * continued run keeps its model, size, steps, scheduler and seed, so they must be the run's own.
 */
export function paramsOfResult(params: GenerateParams, result: ResultMetadata): GenerateParams {
  return {
    ...params,
    modelId: result.modelId,
    seed: result.seed,
    numInferenceSteps: result.numInferenceSteps,
    guidanceScale: result.guidanceScale,
    width: result.width,
    height: result.height,
    scheduler: result.scheduler,
    useKarrasSigmas: result.useKarrasSigmas,
    ...(result.algorithmType === undefined ? {} : { algorithmType: result.algorithmType }),
    cfgCutoff: result.cfgCutoff,
    cfgInterval: result.cfgInterval ?? null
  }
}
