import { promises as fs } from 'node:fs'
import { basename, join } from 'node:path'
import type { ModelFamily, ModelInfo, ModelSource, ModelSummary } from '../../shared/contract'
import {
  checkModelFolder,
  graphPassCache,
  ModelLoadError,
  previewGraphPasses,
  UnsupportedPipelineError
} from '../engine'
import type { ModelFolderCheck } from '../engine'
import { detectFamily, modelDefaults } from './detect-family'
import { modelPreviews } from './model-previews'

/**
 * What the model picker shows about one model folder. The folder is read and checked by the
 * engine's own {@link checkModelFolder} (model_index.json, configs, every graph file the pipeline
 * needs and each graph's declared inputs and outputs, stepwise.json), so a folder listed here is
 * one the engine will accept; no ONNX session is created, so listing stays quick.
 */

/** Why a folder is not a usable model (it is then left out of the list, with this reason). */
export class NotAModelError extends Error {
  constructor(
    readonly dir: string,
    message: string,
    /** Set when the folder names a pipeline Stepwise does not run yet (SD3, Flux, …). */
    readonly pipelineClass: string | null = null
  ) {
    super(message)
    this.name = 'NotAModelError'
  }
}

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

/** Checks a folder, turning the engine's load errors into {@link NotAModelError}. */
export async function checkFolder(dir: string): Promise<ModelFolderCheck> {
  try {
    return await checkModelFolder(dir)
  } catch (error) {
    if (error instanceof UnsupportedPipelineError) {
      throw new NotAModelError(dir, error.message, error.pipelineClass)
    }
    if (error instanceof ModelLoadError) throw new NotAModelError(dir, error.message)
    throw error
  }
}

/** How a model is identified and where it came from. */
export interface ModelOrigin {
  id: string
  source: ModelSource
  /** Extra names that may reveal the family (e.g. the Hub repository it was downloaded from). */
  names?: readonly string[]
}

/** The summary of a checked folder. */
export async function summarize(
  check: ModelFolderCheck,
  origin: ModelOrigin
): Promise<ModelSummary> {
  const folder = check.folder
  const family = detectFamily(check, await declaredFamily(folder.dir), origin.names)
  return {
    id: origin.id,
    name: folder.stepwise?.name ?? basename(folder.dir),
    description: folder.stepwise?.description ?? '',
    family: family.family,
    familyLabel: family.label,
    turbo: family.turbo,
    pipelineClass: folder.index.className,
    precision: check.precision,
    path: folder.dir,
    defaults: modelDefaults(check, family),
    sizeBytes: await folderSize(folder.dir),
    builtIn: origin.source === 'built-in',
    source: origin.source,
    previews: modelPreviews(family.family, folder.previewDecoder)
  }
}

/** Reads one model folder; throws {@link NotAModelError} with the engine's reason if unusable. */
export async function readModelSummary(dir: string, origin: ModelOrigin): Promise<ModelSummary> {
  return summarize(await checkFolder(dir), origin)
}

/**
 * What the engine's graph passes will do to the model on the CPU, one line per graph ("unet:
 * attention fused (16 of 16)", or why not), with the verdicts of earlier loads when
 * `graphPassCacheDir` holds them. Read from the graph files, without a session.
 */
async function graphPassLines(
  check: ModelFolderCheck,
  graphPassCacheDir: string | undefined
): Promise<string[]> {
  try {
    const previews = await previewGraphPasses(check.folder, {
      cache: graphPassCache(graphPassCacheDir)
    })
    return previews.map((p) => `${p.component}: ${p.summary}`)
  } catch (error) {
    return [`the graph passes could not be previewed: ${(error as Error).message}`]
  }
}

/** The summary plus every graph's declared I/O, the graph passes and the load-time warnings. */
export async function readModelInfo(
  dir: string,
  origin: ModelOrigin,
  options: { graphPassCacheDir?: string } = {}
): Promise<ModelInfo> {
  const check = await checkFolder(dir)
  const summary = await summarize(check, origin)
  const warnings = [...check.folder.warnings]
  const vae = check.graphs.find((g) => g.component === 'vae_decoder')
  if (check.folder.vaeConfig.forceUpcast && vae?.precision !== 'fp32') {
    warnings.push(
      "vae_decoder/model.onnx is float16 and the VAE config sets force_upcast: Stepwise decodes with a float32 copy of it made at load time (as diffusers upcasts the VAE), which takes twice the decoder's memory"
    )
  }
  return {
    ...summary,
    layout: check.legacyLayout ? 'diffusers-legacy' : 'optimum',
    graphs: check.graphs.map((g) => ({
      component: g.component,
      sizeBytes: g.sizeBytes,
      precision: g.precision,
      inputs: g.inputs.map((io) => ({ name: io.name, type: io.type, shape: [...io.shape] })),
      outputs: g.outputs.map((io) => ({ name: io.name, type: io.type, shape: [...io.shape] }))
    })),
    graphPasses: await graphPassLines(check, options.graphPassCacheDir),
    warnings
  }
}
