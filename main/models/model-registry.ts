import { promises as fs } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { NotAModelError, readModelSummary } from './read-model-summary'

/** The model the app ships and opens on first start, when present. */
export const SHIPPED_DEFAULT_MODEL_ID = 'stepwise-shapes-64'

/** A model id is its folder name made safe for the id alphabet (and unique across folders). */
export function modelIdFor(folderName: string, taken: ReadonlySet<string>): string {
  const base = folderName.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 56) || 'model'
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  return id
}

function pickDefault(models: readonly ModelSummary[]): string | null {
  return (models.find((m) => m.id === SHIPPED_DEFAULT_MODEL_ID) ?? models[0])?.id ?? null
}

/**
 * The models the app can run: every folder with a `model_index.json` directly under one of the
 * configured model folders (the shipped `resources/models`, or `--models-dir` /
 * STEPWISE_MODELS_DIR). Folders are re-read on every call, so a model copied in while the app
 * runs shows up, and one deleted disappears. Broken folders are left out and reported once
 * through `onSkip`. Ids are opaque to callers: a renderer names a model by id, never by path.
 */
export class ModelRegistry {
  private readonly roots: string[]
  private readonly reported = new Set<string>()

  constructor(
    modelDirs: readonly string[],
    private readonly onSkip: (message: string) => void = () => undefined
  ) {
    this.roots = modelDirs.map((d) => resolve(d))
  }

  /** The configured model folders. */
  get modelDirs(): readonly string[] {
    return this.roots
  }

  /** Every usable model, in folder order, then by folder name. */
  async list(): Promise<ModelSummary[]> {
    const models: ModelSummary[] = []
    const taken = new Set<string>()
    for (const root of this.roots) {
      const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => [])
      const folders = entries
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
        try {
          const id = modelIdFor(name, taken)
          models.push(await readModelSummary(dir, id, true))
          taken.add(id)
        } catch (error) {
          if (!(error instanceof NotAModelError)) throw error
          if (!this.reported.has(error.message)) {
            this.reported.add(error.message)
            this.onSkip(`skipping model folder ${dir}: ${error.message}`)
          }
        }
      }
    }
    return models
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
}
