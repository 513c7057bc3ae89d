import { promises as fs } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type {
  ModelInfo,
  ModelLibraryListing,
  ModelProblem,
  ModelSummary
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { LibraryEntry, ModelLibrary } from './model-library'
import { attachDecoder } from './model-previews'
import type { PreviewDecoderShelf, ShelvedDecoder } from './preview-decoder-shelf'
import {
  NotAModelError,
  readModelInfo,
  readModelSummary,
  type ModelOrigin
} from './read-model-summary'

/** The model the app ships and opens on first start, when present. */
export const SHIPPED_DEFAULT_MODEL_ID = 'stepwise-shapes-64'

/** A model id is its folder name made safe for the id alphabet (and unique across folders). */
export function modelIdFor(folderName: string, taken: ReadonlySet<string>): string {
  const base = folderName.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 56) || 'model'
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  return id
}

/** The summary with a downloaded decoder of its family attached (see model-previews.ts). */
function withDecoder<S extends ModelSummary>(summary: S, decoders: readonly ShelvedDecoder[]): S {
  const fits = decoders.find((d) => d.known.families.includes(summary.family)) ?? null
  const previews = attachDecoder(summary.previews, summary.family, fits)
  return previews === summary.previews ? summary : { ...summary, previews }
}

function pickDefault(models: readonly ModelSummary[]): string | null {
  return (models.find((m) => m.id === SHIPPED_DEFAULT_MODEL_ID) ?? models[0])?.id ?? null
}

/** Files whose change means a folder must be read again. */
const STAMP_FILES = [
  '',
  'model_index.json',
  'stepwise.json',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
  'preview_decoder/model.onnx',
  'text_encoder/model.onnx',
  'text_encoder_2/model.onnx'
]

async function stampOf(dir: string): Promise<string> {
  const parts = await Promise.all(
    STAMP_FILES.map((f) =>
      fs.stat(join(dir, f)).then(
        (s) => `${s.mtimeMs}:${s.size}`,
        () => '-'
      )
    )
  )
  return parts.join('|')
}

/** A folder the listing found, before it is read. */
interface Candidate {
  dir: string
  origin: ModelOrigin
}

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  /** Folders whose subfolders are models (the shipped one, `--models-dir`, STEPWISE_MODELS_DIR). */
  modelDirs: readonly string[]
  /** The user's added and downloaded folders; null: none (tests, tools). */
  library?: ModelLibrary | null
  /** Where to report folders that are left out (once per reason). */
  onSkip?: (message: string) => void
  /** Downloaded TAESD decoders, attached to the models of their family; null: none. */
  previewDecoders?: PreviewDecoderShelf | null
  /** The folder of graph-pass check verdicts (the engine's `graphPassCacheDir`), for `info`. */
  graphPassCacheDir?: string
}

/**
 * The models the app can run: every folder with a `model_index.json` directly under one of the
 * configured model folders (built in), then the folders in the user's library (added or
 * downloaded). Folders are re-read when they change, so a model copied in while the app runs
 * shows up and one deleted disappears. Unusable folders are left out of the list and reported as
 * problems (with the engine's reason). Ids are opaque to callers: a renderer names a model by
 * id, never by path — except when it asks to add a folder the user chose.
 */
export class ModelRegistry {
  private readonly roots: string[]
  private readonly library: ModelLibrary | null
  private readonly shelf: PreviewDecoderShelf | null
  private readonly onSkip: (message: string) => void
  /** See {@link ModelRegistryOptions.graphPassCacheDir}. */
  readonly graphPassCacheDir: string | undefined
  private readonly reported = new Set<string>()
  private readonly cache = new Map<string, { stamp: string; summary: ModelSummary }>()

  /** `new ModelRegistry(dirs, onSkip?)` is the short form without a library. */
  constructor(
    options: ModelRegistryOptions | readonly string[],
    onSkip?: (message: string) => void
  ) {
    const o: ModelRegistryOptions = Array.isArray(options)
      ? { modelDirs: options as readonly string[], onSkip }
      : (options as ModelRegistryOptions)
    this.roots = o.modelDirs.map((d) => resolve(d))
    this.library = o.library ?? null
    this.shelf = o.previewDecoders ?? null
    this.onSkip = o.onSkip ?? (() => undefined)
    this.graphPassCacheDir = o.graphPassCacheDir
  }

  /** The configured model folders. */
  get modelDirs(): readonly string[] {
    return this.roots
  }

  /** Every usable model: built-ins in folder order, then by name; then library entries. */
  async list(): Promise<ModelSummary[]> {
    return (await this.listing()).models
  }

  /** Usable models and the folders that could not be used, with why. */
  async listing(): Promise<ModelLibraryListing> {
    const models: ModelSummary[] = []
    const problems: ModelProblem[] = []
    const decoders = (await this.shelf?.list()) ?? []
    for (const c of await this.candidates()) {
      try {
        models.push(withDecoder(await this.summary(c), decoders))
      } catch (error) {
        if (!(error instanceof NotAModelError)) throw error
        problems.push({
          id: c.origin.source === 'built-in' ? null : c.origin.id,
          path: c.dir,
          source: c.origin.source,
          message: error.message,
          pipelineClass: error.pipelineClass
        })
        if (!this.reported.has(error.message)) {
          this.reported.add(error.message)
          this.onSkip(`skipping model folder ${c.dir}: ${error.message}`)
        }
      }
    }
    return { models, problems }
  }

  /** The shipped model when present, else the first one; null when there is none. */
  async defaultModelId(): Promise<string | null> {
    return pickDefault(await this.list())
  }

  /**
   * The model for `id`, or the default model when `id` is undefined. Throws
   * invalid-argument naming the models that exist.
   */
  async resolve(id: string | undefined): Promise<ModelSummary> {
    const models = await this.list()
    if (models.length === 0) {
      throw new StepwiseError(
        'invalid-argument',
        `no models are installed (looked in ${this.roots.join(', ') || 'no folder'})`
      )
    }
    const wanted = id ?? pickDefault(models)
    const model = models.find((m) => m.id === wanted)
    if (model === undefined) {
      const shown = JSON.stringify((id ?? '').slice(0, 80))
      throw new StepwiseError(
        'invalid-argument',
        `modelId: unknown model ${shown} (available: ${models.map((m) => m.id).join(', ')})`
      )
    }
    return model
  }

  /** The downloaded preview decoders (none without a shelf). */
  async previewDecoders(): Promise<ShelvedDecoder[]> {
    return (await this.shelf?.list()) ?? []
  }

  /** Everything about one model (graphs, warnings), read now. Errors: not-found, invalid-argument. */
  async info(id: string): Promise<ModelInfo> {
    const candidate = (await this.candidates()).find((c) => c.origin.id === id)
    if (candidate === undefined) {
      throw new StepwiseError('not-found', `no model ${JSON.stringify(id.slice(0, 80))}`)
    }
    const entry = this.library?.get(id)
    try {
      const info = withDecoder(
        await readModelInfo(candidate.dir, candidate.origin, {
          graphPassCacheDir: this.graphPassCacheDir
        }),
        await this.previewDecoders()
      )
      return {
        ...info,
        ...(entry?.repo === undefined ? {} : { repo: entry.repo }),
        ...(entry?.revision === undefined ? {} : { revision: entry.revision })
      }
    } catch (error) {
      if (error instanceof NotAModelError)
        throw new StepwiseError('invalid-argument', error.message)
      throw error
    }
  }

  /**
   * Adds a folder to the library after checking it as the engine will use it. A folder that is
   * already listed is not added twice: its existing entry is returned. Errors: invalid-argument
   * (not a usable model, with the engine's specific reason), unavailable (no library).
   */
  async add(
    dir: string,
    origin: { source: LibraryEntry['source']; repo?: string; revision?: string } = {
      source: 'added'
    }
  ): Promise<ModelSummary> {
    const library = this.requireLibrary()
    const path = resolve(dir)
    const existing = (await this.list()).find((m) => m.path === path)
    if (existing !== undefined) return existing
    const taken = new Set((await this.candidates()).map((c) => c.origin.id))
    const id = modelIdFor(basename(path), taken)
    const names = origin.repo === undefined ? [] : [origin.repo]
    let summary: ModelSummary
    try {
      summary = await readModelSummary(path, { id, source: origin.source, names })
    } catch (error) {
      if (error instanceof NotAModelError) {
        throw new StepwiseError('invalid-argument', `${path} cannot be added: ${error.message}`)
      }
      throw error
    }
    await library.add({
      id,
      path,
      source: origin.source,
      addedAt: new Date().toISOString(),
      ...(origin.repo === undefined ? {} : { repo: origin.repo }),
      ...(origin.revision === undefined ? {} : { revision: origin.revision })
    })
    return summary
  }

  /**
   * Forgets a library entry (its files stay on disk). Built-in models cannot be removed.
   * Errors: not-found, invalid-argument (built in).
   */
  async remove(id: string): Promise<void> {
    if (this.library !== null && (await this.library.remove(id))) return
    const builtIn = (await this.candidates()).some(
      (c) => c.origin.id === id && c.origin.source === 'built-in'
    )
    if (builtIn) {
      throw new StepwiseError(
        'invalid-argument',
        `${id} is one of the app's built-in models and cannot be removed`
      )
    }
    throw new StepwiseError(
      'not-found',
      `no model ${JSON.stringify(id.slice(0, 80))} in the library`
    )
  }

  private requireLibrary(): ModelLibrary {
    if (this.library === null) {
      throw new StepwiseError('unavailable', 'this front end has no model library')
    }
    return this.library
  }

  /** Built-in folders (ids from their names), then library entries (stored ids). */
  private async candidates(): Promise<Candidate[]> {
    const entries = this.library?.entries() ?? []
    const taken = new Set(entries.map((e) => e.id))
    const out: Candidate[] = []
    for (const root of this.roots) {
      const dirents = await fs.readdir(root, { withFileTypes: true }).catch(() => [])
      const folders = dirents
        .filter((e) => e.isDirectory() || e.isSymbolicLink())
        .map((e) => e.name)
        .filter((name) => !name.startsWith('.'))
        .sort()
      for (const name of folders) {
        const dir = join(root, name)
        const hasIndex = await fs.stat(join(dir, 'model_index.json')).then(
          (s) => s.isFile(),
          () => false
        )
        if (!hasIndex) continue
        const id = modelIdFor(name, taken)
        taken.add(id)
        out.push({ dir, origin: { id, source: 'built-in' } })
      }
    }
    for (const e of entries) {
      out.push({
        dir: e.path,
        origin: { id: e.id, source: e.source, names: e.repo === undefined ? [] : [e.repo] }
      })
    }
    return out
  }

  private async summary(c: Candidate): Promise<ModelSummary> {
    const stamp = await stampOf(c.dir)
    const key = `${c.origin.id}\u0000${c.dir}`
    const hit = this.cache.get(key)
    if (hit !== undefined && hit.stamp === stamp) return hit.summary
    if (stamp.startsWith('-|')) {
      throw new NotAModelError(c.dir, `The model folder ${c.dir} does not exist or is not a folder`)
    }
    const summary = await readModelSummary(c.dir, c.origin)
    this.cache.set(key, { stamp, summary })
    return summary
  }
}
