import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from '../app-paths'
import { LIBRARY_FILE, ModelLibrary } from '../model-library/model-library'
import { ModelRegistry } from '../model-library/model-registry'
import {
  PREVIEW_DECODERS_FOLDER,
  PreviewDecoderShelf
} from '../model-library/preview-decoder-shelf'
import { UsageError } from './usage-error'

/** Where the CLI finds models: the app's library and its model folders, as the app does. */

/**
 * The shipped models: `resources/models` of the checkout. The bundler puts the commands into
 * `out/main/chunks/`, the sources live in `main/cli/`, so the folder is looked up from here
 * rather than at a fixed depth.
 */
export function shippedModelsDir(from: string = __dirname): string {
  for (let dir = from, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'models')
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate
  }
  return resolve(from, '..', '..', 'resources', 'models')
}

export { looksLikePath } from './path-arg'

/** Opens the model library of `dataDir` (default: the app's) over `modelsDir` (default: shipped). */
export async function openModelRegistry(
  dataDir: string | undefined,
  modelsDir: string | undefined
): Promise<{ registry: ModelRegistry; notice: string | null }> {
  const dir = dataDir === undefined ? defaultUserDataDir() : resolve(dataDir)
  const library = await ModelLibrary.open(join(dir, LIBRARY_FILE))
  const registry = new ModelRegistry({
    modelDirs: [modelsDir === undefined ? shippedModelsDir() : resolve(modelsDir)],
    library,
    previewDecoders: new PreviewDecoderShelf(join(dir, PREVIEW_DECODERS_FOLDER)),
    // Check verdicts kept in the data folder, as the app keeps them (`models info` reports them).
    graphPassCacheDir: join(dir, GRAPH_PASS_CACHE_FOLDER)
  })
  return { registry, notice: library.notice }
}

/**
 * The folder of library model `id` (`generate --model ID`): the app's library in the default
 * data folder and the shipped models, as `models list` shows them. Throws a usage error naming
 * the ids there are.
 */
export async function resolveLibraryModel(id: string): Promise<string> {
  const { registry } = await openModelRegistry(undefined, undefined)
  const models = await registry.list()
  const model = models.find((m) => m.id === id)
  if (model === undefined) {
    const ids = models.map((m) => m.id).join(', ')
    throw new UsageError(
      `--model: no folder or library model ${JSON.stringify(id)} (library ids: ${ids === '' ? 'none' : ids}; or give a model folder)`
    )
  }
  return model.path
}
