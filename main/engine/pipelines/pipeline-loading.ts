import type { Tensor } from 'onnxruntime-node'
import type { PipelineFamily } from '../models/model-index'
import { openModelFolder, type ModelFolder } from '../models/model-folder'
import { ModelLoadError } from '../models/model-load-error'
import { batchOf } from '../tensor/batch'
import { isPromptValue } from './check-inputs'

/**
 * What StableDiffusionPipeline and StableDiffusionXLPipeline do alike when they open a model
 * folder (`fromPretrained` / `create`) and count the prompts of a call.
 */

/** The class that runs each family, named in the refusal of another family's folder. */
const PIPELINE_CLASS: Readonly<Record<PipelineFamily, string>> = {
  sd: 'StableDiffusionPipeline',
  sdxl: 'StableDiffusionXLPipeline'
}

/**
 * Opens `modelDir` for the pipeline of `family`. A folder whose `model_index.json` names the
 * other family is refused, naming the class that opens it.
 */
export async function openFolderFor(
  family: PipelineFamily,
  modelDir: string
): Promise<ModelFolder> {
  const folder = await openModelFolder(modelDir)
  if (folder.family !== family) {
    throw new ModelLoadError(
      folder.index.path,
      `${folder.index.path} names ${folder.index.className}; open it with ${PIPELINE_CLASS[folder.family]} or AutoPipelineForText2Image`
    )
  }
  return folder
}

/** The number of prompts of a call: 1 for a string, the list's length, else the embeddings' batch. */
export function promptBatchSize(prompt: unknown, promptEmbeds: Tensor | null | undefined): number {
  if (typeof prompt === 'string') return 1
  if (isPromptValue(prompt)) return prompt.length
  return batchOf(promptEmbeds as Tensor)
}

/** `fromPipe` of a pipeline of the other family is refused, naming the class that fits. */
export function requireFamily(
  pipe: { family: PipelineFamily },
  family: PipelineFamily,
  className: string
): void {
  if (pipe.family !== family) {
    throw new Error(
      `${className}.fromPipe needs a ${family === 'sd' ? 'Stable Diffusion 1.x/2.x' : 'SDXL'} pipeline, but got a ${pipe.family === 'sd' ? 'Stable Diffusion 1.x/2.x' : 'SDXL'} one; use the Auto pipeline's fromPipe to pick the class`
    )
  }
}
