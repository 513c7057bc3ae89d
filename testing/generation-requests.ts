import type { GenerationRequest } from '../main/inference/protocol'

/** The parts of a request a test names; the rest have the app's plain defaults. */
export type RequestBasics = Pick<
  GenerationRequest,
  'modelDir' | 'prompt' | 'numInferenceSteps' | 'guidanceScale' | 'width' | 'height' | 'seed'
>

/**
 * A whole inference request for tests: CPU, no negative prompt, Euler without Karras sigmas, no
 * cutoff, interval or stop step, a preview every step, one image; `overrides` win.
 */
export function generationRequest(
  basics: RequestBasics,
  overrides: Partial<GenerationRequest> = {}
): GenerationRequest {
  return {
    provider: 'cpu',
    negativePrompt: '',
    guidanceRescale: 0,
    scheduler: 'EulerDiscreteScheduler',
    useKarrasSigmas: false,
    cfgCutoff: null,
    cfgInterval: null,
    stopAtStep: null,
    previewEvery: 1,
    numImagesPerPrompt: 1,
    ...basics,
    ...overrides
  }
}
