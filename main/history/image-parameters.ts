import type { ImageParameters } from '../../shared/a1111-parameters'
import type { ResultMetadata } from '../../shared/contract'

/** What a run was asked for that its result does not repeat. */
export interface ImageRequestFacts {
  prompt: string
  negativePrompt: string
  guidanceRescale: number
  /** The model's id in the app (derived from its folder name), which the app restores from. */
  modelId: string
  /** The input picture of an image run: its stored id (the app) or file name (the CLI). */
  initImage?: string | null
  /** The inpainting mask: its stored id or file name. */
  maskImage?: string | null
}

/** What actually ran: the fields the engine's result and the stored metadata share. */
export type ImageRunFacts = Pick<
  ResultMetadata,
  | 'numInferenceSteps'
  | 'scheduler'
  | 'useKarrasSigmas'
  | 'algorithmType'
  | 'guidanceScale'
  | 'seed'
  | 'width'
  | 'height'
  | 'cfgCutoff'
  | 'interrupted'
  | 'stepsRun'
  | 'provider'
> & { strength?: number | null }

/**
 * The values written into a result PNG's A1111 `parameters` chunk, by History and by the CLI
 * alike: what actually ran (model defaults filled in, the CFG cutoff as it stood at the end,
 * where a stopped run stopped), so restoring them from the file reproduces the image.
 */
export function imageParametersOf(
  request: ImageRequestFacts,
  result: ImageRunFacts,
  appVersion: string
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
    model: request.modelId,
    guidanceRescale: request.guidanceRescale,
    cfgCutoff: result.cfgCutoff,
    stoppedAtStep: result.interrupted ? result.stepsRun - 1 : null,
    ...(request.initImage == null
      ? {}
      : {
          strength: result.strength ?? null,
          initImage: request.initImage,
          maskImage: request.maskImage ?? null
        }),
    provider: result.provider,
    version: `Stepwise ${appVersion}`
  }
}
