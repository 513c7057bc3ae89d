import type { InferenceStatus } from '../../shared/contract'
import type { InferenceProcessStatus } from '../inference/protocol'

/** What {@link inferenceStatusOf} needs: `InferenceClient.status()`. */
export interface StatusSource {
  status(): Promise<InferenceProcessStatus | null>
}

/**
 * The `inferenceStatus` answer from the inference process's own report (its RSS includes
 * onnxruntime's native memory, which is where a model's weights live). A process that is not
 * running, or did not answer in time, is reported as not running rather than guessed at.
 */
export async function inferenceStatusOf(source: StatusSource): Promise<InferenceStatus> {
  const status = await source.status()
  if (status === null) {
    return {
      running: false,
      rssBytes: null,
      loadedModelPath: null,
      loadedProvider: null,
      loadedComponents: []
    }
  }
  return {
    running: true,
    rssBytes: status.rssBytes,
    loadedModelPath: status.modelDir,
    loadedProvider: status.provider,
    loadedComponents: status.components
  }
}
