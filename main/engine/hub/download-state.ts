import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../output/atomic-write'

/**
 * The two small files a download keeps in its destination folder:
 *
 * - {@link MANIFEST_FILE}, written first and updated as files finish: which repo and commit the
 *   folder is being filled from, every file with its size and hash, and which are done. A resume
 *   (after a dropped connection, a cancel or a restart) reads it to keep what is still valid.
 * - {@link COMPLETE_MARKER}, written last and atomically, once every file is verified. Only a
 *   folder with this marker is a usable model; a model library must ignore folders without it.
 *
 * Neither ever holds the access token.
 */
export const MANIFEST_FILE = '.stepwise-download.json'

/** See {@link MANIFEST_FILE}. */
export const COMPLETE_MARKER = '.stepwise-download-complete.json'

/** The suffix of a partially downloaded file. */
export const PART_SUFFIX = '.part'

const fileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().nullable(),
  gitOid: z.string().nullable()
})

const manifestSchema = z.object({
  format: z.literal(1),
  repo: z.string(),
  revision: z.string(),
  commit: z.string(),
  endpoint: z.string(),
  files: z.array(fileSchema.extend({ done: z.boolean() })),
  updatedAt: z.string()
})

const markerSchema = z.object({
  format: z.literal(1),
  repo: z.string(),
  revision: z.string(),
  commit: z.string(),
  endpoint: z.string(),
  files: z.array(fileSchema),
  completedAt: z.string()
})

/** The in-progress record; see {@link MANIFEST_FILE}. */
export type DownloadManifest = z.infer<typeof manifestSchema>
/** One file in the manifest. */
export type ManifestFile = DownloadManifest['files'][number]
/** The usable-model record; see {@link COMPLETE_MARKER}. */
export type CompleteMarker = z.infer<typeof markerSchema>

/** What a folder holds, as far as downloads are concerned. */
export type DownloadStatus =
  | { state: 'complete'; marker: CompleteMarker }
  | { state: 'partial'; manifest: DownloadManifest }
  | { state: 'none' }

/**
 * Reads a folder's download status. A folder with a valid marker is `complete` (usable); one with
 * only a manifest is `partial` (resumable, not usable); anything else is `none` (not one of ours,
 * or a model folder added by hand).
 */
export async function readDownloadStatus(dir: string): Promise<DownloadStatus> {
  const marker = await readJson(path.join(dir, COMPLETE_MARKER), markerSchema)
  if (marker !== null) return { state: 'complete', marker }
  const manifest = await readJson(path.join(dir, MANIFEST_FILE), manifestSchema)
  if (manifest !== null) return { state: 'partial', manifest }
  return { state: 'none' }
}

/** Writes the manifest atomically. */
export async function writeManifest(dir: string, manifest: DownloadManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
}

/** Writes the marker atomically: the last write of a successful download. */
export async function writeCompleteMarker(dir: string, marker: CompleteMarker): Promise<void> {
  await writeFileAtomic(path.join(dir, COMPLETE_MARKER), `${JSON.stringify(marker, null, 2)}\n`)
}

/** Removes the marker (before a folder is changed, so it is never marked usable mid-change). */
export async function removeCompleteMarker(dir: string): Promise<void> {
  await fs.rm(path.join(dir, COMPLETE_MARKER), { force: true })
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | null> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    // A damaged record is treated as absent: the download re-plans and re-verifies.
    return null
  }
}

/**
 * Serialises manifest updates: several files finish concurrently, and each update must be a
 * complete atomic rewrite that includes every earlier one.
 */
export class ManifestWriter {
  private manifest: DownloadManifest
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly dir: string,
    manifest: DownloadManifest
  ) {
    this.manifest = manifest
  }

  /** The current record. */
  get current(): DownloadManifest {
    return this.manifest
  }

  /** Writes the record as it is now. */
  save(): Promise<void> {
    const snapshot = { ...this.manifest, updatedAt: new Date().toISOString() }
    this.manifest = snapshot
    // A failed write is reported to its caller, not to every later one.
    const write = this.chain.catch(() => undefined).then(() => writeManifest(this.dir, snapshot))
    this.chain = write
    return write
  }

  /** Records a verified file and writes the record. */
  markDone(filePath: string): Promise<void> {
    this.manifest = {
      ...this.manifest,
      files: this.manifest.files.map((f) => (f.path === filePath ? { ...f, done: true } : f))
    }
    return this.save()
  }
}
