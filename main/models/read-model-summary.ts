import { promises as fs } from 'node:fs'
import { basename, join } from 'node:path'
import type { ModelDefaults, ModelFamily, ModelSummary } from '../../shared/contract'
import { resolveSchedulerName } from '../../shared/params'
import { ModelLoadError, openModelFolder } from '../engine/models'
import type { ModelFolder } from '../engine/models'

/**
 * What the model picker shows about one model folder. The folder is read and checked by the
 * engine's own {@link openModelFolder} (model_index.json, configs, every graph file the pipeline
 * needs, stepwise.json), so a folder listed here is one the engine will accept; no ONNX session
 * is created, so listing stays instant.
 */

/** Why a folder is not a usable model (it is then left out of the list). */
export class NotAModelError extends Error {
  constructor(
    readonly dir: string,
    message: string
  ) {
    super(message)
    this.name = 'NotAModelError'
  }
}

/** diffusers' pipeline defaults for guidance, used where a model does not say otherwise. */
const DIFFUSERS_GUIDANCE = { sd: 7.5, sdxl: 5.0 } as const
/** diffusers' default `num_inference_steps`. */
const DIFFUSERS_STEPS = 50

/** `family` from stepwise.json, which the engine's reader does not keep. */
async function declaredFamily(dir: string): Promise<ModelFamily | null> {
  try {
    const raw: unknown = JSON.parse(await fs.readFile(join(dir, 'stepwise.json'), 'utf8'))
    const family = (raw as { family?: unknown } | null)?.family
    return family === 'sd1' || family === 'sd2' || family === 'sdxl' ? family : null
  } catch {
    return null
  }
}

function familyOf(folder: ModelFolder, declared: ModelFamily | null): ModelFamily {
  if (declared !== null) return declared
  if (folder.family === 'sdxl') return 'sdxl'
  // SD 2.x: OpenCLIP-H text encoder, so 1024-wide cross-attention.
  return folder.unetConfig.raw['cross_attention_dim'] === 1024 ? 'sd2' : 'sd1'
}

/** The model's defaults exactly as the engine's pipelines derive them when a value is omitted. */
function defaultsOf(folder: ModelFolder): ModelDefaults {
  const d = folder.stepwise?.defaults
  const sample = folder.unetConfig.sampleSize ?? (folder.family === 'sdxl' ? 128 : 64)
  const [h, w] = Array.isArray(sample) ? sample : [sample, sample]
  const f = folder.vaeConfig.scaleFactor
  const named = d?.scheduler ?? folder.schedulerConfig['_class_name']
  return {
    numInferenceSteps: d?.numInferenceSteps ?? DIFFUSERS_STEPS,
    guidanceScale: d?.guidanceScale ?? DIFFUSERS_GUIDANCE[folder.family],
    width: d?.width ?? w * f,
    height: d?.height ?? h * f,
    scheduler:
      (typeof named === 'string' ? resolveSchedulerName(named) : null) ?? 'EulerDiscreteScheduler'
  }
}

/** Total size of the files under `dir` (following links to external weights). */
export async function folderSize(dir: string, depth = 0): Promise<number> {
  if (depth > 8) return 0
  let total = 0
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(dir, entry.name)
    const info = await fs.stat(path).catch(() => null)
    if (info === null) continue
    if (info.isDirectory()) total += await folderSize(path, depth + 1)
    else if (info.isFile()) total += info.size
  }
  return total
}

/** Reads one model folder; throws {@link NotAModelError} with the engine's reason if unusable. */
export async function readModelSummary(
  dir: string,
  id: string,
  builtIn: boolean
): Promise<ModelSummary> {
  let folder: ModelFolder
  try {
    folder = await openModelFolder(dir)
  } catch (error) {
    if (error instanceof ModelLoadError) throw new NotAModelError(dir, error.message)
    throw error
  }
  return {
    id,
    name: folder.stepwise?.name ?? basename(dir),
    description: folder.stepwise?.description ?? '',
    family: familyOf(folder, await declaredFamily(dir)),
    path: folder.dir,
    defaults: defaultsOf(folder),
    sizeBytes: await folderSize(dir),
    builtIn
  }
}
