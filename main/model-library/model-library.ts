import { promises as fs } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { removeLeftoverTempFiles, writeFileAtomic } from '../engine'

/**
 * The model folders a user added (or downloaded), remembered between runs in one small JSON file
 * in the data folder (`model-library.json`). Every change rewrites the file atomically (temp
 * file, fsync, rename), so a crash leaves the old list or the new one, never half of either.
 * The file holds paths and ids only; everything else about a model is read from its folder
 * each time, so a model that changed on disk is shown as it is now.
 */

/** Where a library entry came from. */
export type LibrarySource = 'added' | 'downloaded'

/** One remembered model folder. */
export interface LibraryEntry {
  /** The id the app names the model by (stable across runs). */
  id: string
  /** Absolute folder path. */
  path: string
  source: LibrarySource
  /** ISO 8601 time it was added. */
  addedAt: string
  /** Downloads: the Hub repository and revision it came from. */
  repo?: string
  revision?: string
}

const EntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  path: z.string().min(1),
  source: z.enum(['added', 'downloaded']),
  addedAt: z.string(),
  repo: z.string().optional(),
  revision: z.string().optional()
})

const FileSchema = z.object({ version: z.literal(1), models: z.array(EntrySchema) })

/** The library file's name inside the data folder. */
export const LIBRARY_FILE = 'model-library.json'

/** The remembered folders, and the file that keeps them. */
export class ModelLibrary {
  private models: LibraryEntry[]
  /** Set when the file existed but could not be used; it is then kept aside, not overwritten. */
  readonly notice: string | null
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    readonly file: string,
    models: LibraryEntry[],
    notice: string | null
  ) {
    this.models = models
    this.notice = notice
  }

  /**
   * Opens (or starts) the library at `file`. A file that is not valid JSON of the expected shape
   * is renamed to `<file>.broken-<time>` with a notice, and the library starts empty: losing the
   * list of added folders is recoverable (add them again), refusing to start is not.
   */
  static async open(file: string): Promise<ModelLibrary> {
    const path = resolve(file)
    await fs.mkdir(dirname(path), { recursive: true })
    await removeLeftoverTempFiles(path)
    let text: string
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return new ModelLibrary(path, [], null)
      throw error
    }
    let parsed: z.infer<typeof FileSchema> | null = null
    try {
      const result = FileSchema.safeParse(JSON.parse(text))
      if (result.success) parsed = result.data
    } catch {
      parsed = null
    }
    if (parsed !== null) return new ModelLibrary(path, parsed.models, null)
    const aside = `${path}.broken-${Date.now()}`
    await fs.rename(path, aside)
    return new ModelLibrary(
      path,
      [],
      `the model library ${path} could not be read and was kept as ${aside}; add your model folders again`
    )
  }

  /** The entries, in the order they were added. */
  entries(): readonly LibraryEntry[] {
    return this.models
  }

  /** The entry with `id`, or undefined. */
  get(id: string): LibraryEntry | undefined {
    return this.models.find((m) => m.id === id)
  }

  /** The entry for folder `path`, or undefined. */
  byPath(path: string): LibraryEntry | undefined {
    const wanted = resolve(path)
    return this.models.find((m) => m.path === wanted)
  }

  /** Adds an entry and saves. */
  async add(entry: LibraryEntry): Promise<void> {
    this.models = [...this.models, { ...entry, path: resolve(entry.path) }]
    await this.save()
  }

  /** Removes the entry with `id` and saves; false if there was none. */
  async remove(id: string): Promise<boolean> {
    const before = this.models.length
    this.models = this.models.filter((m) => m.id !== id)
    if (this.models.length === before) return false
    await this.save()
    return true
  }

  /** Writes are serialised so two quick changes cannot finish in the wrong order. */
  private save(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, models: this.models }, null, 2)
    const next = this.writing.then(() => writeFileAtomic(this.file, `${snapshot}\n`))
    this.writing = next.catch(() => undefined)
    return next
  }
}
