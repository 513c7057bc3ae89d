import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import type {
  GenerateParams,
  HistoryEntry,
  HistoryImageRequest,
  HistoryListing,
  ResultMetadata,
  RgbaImage
} from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { formatA1111Parameters } from '../../shared/a1111-parameters'
import {
  encodePng,
  parseRunSnapshots,
  removeLeftoverTempFiles,
  RunSnapshotError,
  writeFileAtomic
} from '../engine'
import type { RunSnapshot } from '../engine'
import { describeWriteFailure, HistoryFiles } from './history-files'
import { readHistoryIndex, serializeHistoryIndex } from './history-index'
import { imageParametersOf } from './image-parameters'
import { InputImages } from './input-images'

/** One result to store. */
export interface NewHistoryResult {
  params: GenerateParams
  result: ResultMetadata
  image: RgbaImage
  /** Step previews to keep beside the result (empty unless `keepPreviews`). */
  previews: ReadonlyArray<{ index: number; image: RgbaImage }>
  /** Run state to keep (a run snapshot file's bytes) and the steps it holds. */
  state?: { bytes: Uint8Array; steps: readonly number[] }
}

/** A new opaque id: time-ordered, unguessable enough, never a path. */
function newId(now: Date): string {
  return `${now.getTime().toString(36)}-${randomBytes(5).toString('hex')}`
}

function pngOf(image: RgbaImage, text: Record<string, string> = {}): Buffer {
  return encodePng({ width: image.width, height: image.height, data: image.rgba }, text)
}

/**
 * The result history in `<dataDir>/history/` (layout: ./history-files.ts). Every change writes
 * the image files first and the index last, atomically, so the index never names a file that
 * is not complete, and a crash, a full disk or a read-only folder leaves the previous index
 * intact. Mutations are serialised; each re-reads the index from disk first, so the Electron
 * app and the browser-mode server can share one history folder.
 *
 * An index that is not sound (not JSON, wrong structure) is moved aside under a new name and
 * reported through `notice`, never overwritten. An index that cannot be read at all blocks
 * writes (every save reports why) until the problem is fixed.
 */
export class HistoryStore {
  private entries: HistoryEntry[] = []
  private blocked: string | null = null
  private noticeText: string | null = null
  private queue: Promise<unknown> = Promise.resolve()

  /** The input pictures and masks of image runs (`inputs/<sha256>.png`). */
  readonly inputs: InputImages

  private constructor(
    readonly files: HistoryFiles,
    private readonly appVersion: string
  ) {
    this.inputs = new InputImages(files.dir)
  }

  /** Opens (and if needed creates) the history in `historyDir`. Never throws for disk trouble. */
  static async open(historyDir: string, appVersion: string): Promise<HistoryStore> {
    const store = new HistoryStore(new HistoryFiles(historyDir), appVersion)
    await store.load()
    return store
  }

  /** A problem found when loading, for the UI; null when all is well. */
  get notice(): string | null {
    return this.noticeText
  }

  /** Every entry, newest first. */
  list(): HistoryListing {
    return { entries: [...this.entries], notice: this.noticeText }
  }

  /** One entry. Throws not-found. */
  get(id: string): HistoryEntry {
    const entry = this.entries.find((e) => e.id === id)
    if (entry === undefined) {
      throw new StepwiseError('not-found', `no history entry ${JSON.stringify(id)}`)
    }
    return entry
  }

  /** Stores a result. Throws StepwiseError('failed') with a plain reason; the index stays intact. */
  add(input: NewHistoryResult): Promise<HistoryEntry> {
    return this.serialised(async () => {
      if (this.blocked !== null) throw new StepwiseError('failed', this.blocked)
      await this.refresh()
      const now = new Date()
      const id = newId(now)
      const entry: HistoryEntry = {
        id,
        createdAt: now.toISOString(),
        params: input.params,
        result: input.result,
        previewSteps: input.previews.map((p) => p.index).sort((a, b) => a - b),
        ...(input.state === undefined
          ? {}
          : { snapshotSteps: [...input.state.steps].sort((a, b) => a - b) })
      }
      const parameters = formatA1111Parameters(
        imageParametersOf(
          { ...input.params, modelId: input.result.modelId },
          input.result,
          this.appVersion
        )
      )
      try {
        await fs.mkdir(this.files.imagesDir, { recursive: true })
        await writeFileAtomic(this.files.image(id), pngOf(input.image, { parameters }))
        if (input.previews.length > 0) {
          await fs.mkdir(this.files.previewFolder(id), { recursive: true })
          for (const preview of input.previews) {
            await writeFileAtomic(this.files.preview(id, preview.index), pngOf(preview.image))
          }
        }
        if (input.state !== undefined) {
          await fs.mkdir(this.files.statesDir, { recursive: true })
          await writeFileAtomic(this.files.state(id), input.state.bytes)
        }
        const next = [entry, ...this.entries]
        await writeFileAtomic(this.files.indexFile, serializeHistoryIndex(next))
        this.entries = next
      } catch (error) {
        await this.removeFiles(id)
        if (error instanceof StepwiseError) throw error
        throw new StepwiseError('failed', describeWriteFailure(error, this.files.dir))
      }
      return entry
    })
  }

  /** Deletes an entry, its image and its kept previews. Throws not-found or failed. */
  delete(id: string): Promise<void> {
    return this.serialised(async () => {
      if (this.blocked !== null) throw new StepwiseError('failed', this.blocked)
      await this.refresh()
      this.get(id)
      const next = this.entries.filter((e) => e.id !== id)
      try {
        await writeFileAtomic(this.files.indexFile, serializeHistoryIndex(next))
      } catch (error) {
        throw new StepwiseError(
          'failed',
          describeWriteFailure(error, this.files.dir).replace('save to', 'delete from')
        )
      }
      this.entries = next
      await this.removeFiles(id)
    })
  }

  /** PNG bytes of an entry's final image or of one of its kept previews. Throws not-found. */
  async image(request: HistoryImageRequest): Promise<Uint8Array> {
    const entry = this.get(request.id)
    let path: string
    if (request.step === undefined) {
      path = this.files.image(entry.id)
    } else {
      if (!entry.previewSteps.includes(request.step)) {
        throw new StepwiseError(
          'not-found',
          `history entry ${entry.id} kept no preview of step ${request.step} (kept: ${entry.previewSteps.join(', ') || 'none'})`
        )
      }
      path = this.files.preview(entry.id, request.step)
    }
    try {
      const bytes = await fs.readFile(path)
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (error) {
      throw new StepwiseError(
        'not-found',
        `the image of history entry ${entry.id} could not be read: ${(error as Error).message}`
      )
    }
  }

  /**
   * The run state kept with an entry at the end of step `step`, to continue or branch from.
   * Throws not-found when the entry kept none there, failed when its file cannot be read or is
   * damaged (the message says how).
   */
  async snapshot(id: string, step: number): Promise<RunSnapshot> {
    const entry = this.get(id)
    if (!(entry.snapshotSteps ?? []).includes(step)) {
      throw new StepwiseError(
        'not-found',
        `history entry ${entry.id} kept no run state at step ${step + 1}`
      )
    }
    let bytes: Buffer
    try {
      bytes = await fs.readFile(this.files.state(entry.id))
    } catch (error) {
      throw new StepwiseError(
        'failed',
        `the run state of history entry ${entry.id} could not be read: ${(error as Error).message}`
      )
    }
    try {
      const all = parseRunSnapshots(
        new Uint8Array(bytes),
        `the run state of history entry ${entry.id}`
      )
      const found = all.find((s) => s.step === step)
      if (found === undefined) {
        throw new RunSnapshotError(
          `the run state of history entry ${entry.id} holds no step ${step + 1}`
        )
      }
      return found
    } catch (error) {
      if (error instanceof RunSnapshotError) throw new StepwiseError('failed', error.message)
      throw error
    }
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await this.queue.catch(() => undefined)
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }

  private async load(): Promise<void> {
    await fs.mkdir(this.files.dir, { recursive: true }).catch(() => undefined)
    await removeLeftoverTempFiles(this.files.indexFile)
    const read = await readHistoryIndex(this.files.indexFile)
    if (read.kind === 'ok') {
      this.entries = read.entries
    } else if (read.kind === 'unreadable') {
      this.blocked = this.unreadableMessage(read.reason)
      this.noticeText = this.blocked
    } else if (read.kind === 'corrupt') {
      try {
        await this.moveAside(read.reason)
      } catch (error) {
        this.blocked = (error as Error).message
        this.noticeText = this.blocked
      }
    }
  }

  /**
   * Re-reads the index before a change, picking up what another process (the other front end)
   * wrote. A file that turned corrupt meanwhile is moved aside, never overwritten.
   */
  private async refresh(): Promise<void> {
    const read = await readHistoryIndex(this.files.indexFile)
    if (read.kind === 'ok') this.entries = read.entries
    else if (read.kind === 'corrupt') await this.moveAside(read.reason)
    else if (read.kind === 'unreadable') {
      throw new StepwiseError('failed', this.unreadableMessage(read.reason))
    }
  }

  private async moveAside(reason: string): Promise<void> {
    const aside = this.files.corruptIndexAside(new Date())
    try {
      await fs.rename(this.files.indexFile, aside)
    } catch (error) {
      throw new StepwiseError(
        'failed',
        `the history index ${this.files.indexFile} is ${reason} and could not be moved aside (${(error as Error).message}); it was left as it is and new results are not stored`
      )
    }
    this.noticeText = `the history index was ${reason}; it was kept as ${aside} and a new history was started`
  }

  private unreadableMessage(reason: string): string {
    return `the history index ${this.files.indexFile} cannot be read (${reason}); it was left as it is and new results are not stored until it can be read`
  }

  private async removeFiles(id: string): Promise<void> {
    await fs.rm(this.files.image(id), { force: true }).catch(() => undefined)
    await fs
      .rm(this.files.previewFolder(id), { recursive: true, force: true })
      .catch(() => undefined)
    await fs.rm(this.files.state(id), { force: true }).catch(() => undefined)
  }
}
