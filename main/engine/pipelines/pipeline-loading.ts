import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { snapshotDownload } from '../hub/hub-cache'
import { HubError } from '../hub/hub-error'
import type { PipelineFamily } from '../models/model-index'
import { openModelFolder, type ModelFolder } from '../models/model-folder'
import { ModelLoadError } from '../models/model-load-error'
import { batchOf } from '../tensor/batch'
import { isPromptValue } from './check-inputs'
import type { FromPretrainedOptions } from './pipeline-types'

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
  modelDir: string,
  options: FromPretrainedOptions = {}
): Promise<ModelFolder> {
  const folder = await openModelFolder(await resolvePretrained(modelDir, options))
  if (folder.family !== family) {
    throw new ModelLoadError(
      folder.index.path,
      `${folder.index.path} names ${folder.index.className}; open it with ${PIPELINE_CLASS[folder.family]} or AutoPipelineForText2Image`
    )
  }
  return folder
}

/** `owner/name`, as a string that could also be a relative path. */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/

/**
 * diffusers' rule for `from_pretrained(name_or_path)`: an existing folder is used as it is;
 * otherwise an `owner/name` string is a Hugging Face Hub id, whose snapshot is taken from the
 * Hugging Face cache or downloaded into it. Anything else is returned unchanged, for the model
 * folder's own "does not exist" error.
 */
export async function resolvePretrained(
  nameOrPath: string,
  options: FromPretrainedOptions = {}
): Promise<string> {
  if (typeof nameOrPath !== 'string') return nameOrPath
  const local = await fs.stat(path.resolve(nameOrPath)).catch(() => null)
  if (local !== null || !HUB_ID.test(nameOrPath)) return nameOrPath
  try {
    const snapshot = await snapshotDownload(nameOrPath, {
      revision: options.revision,
      token: options.token,
      cacheDir: options.cacheDir,
      localFilesOnly: options.localFilesOnly,
      onEvent: options.onDownload
    })
    return snapshot.dir
  } catch (error) {
    if (!(error instanceof HubError)) throw error
    throw new HubError(
      error.code,
      `${nameOrPath} is not a folder here (${path.resolve(nameOrPath)} does not exist), and as a Hugging Face Hub id: ${error.message}`,
      { status: error.status, cause: error }
    )
  }
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
