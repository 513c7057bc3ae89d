import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { writeFileAtomic } from '../output/atomic-write'
import type { DownloadEvent } from './download-events'
import { downloadModel } from './download-model'
import { readDownloadStatus } from './download-state'
import { HubError } from './hub-error'
import { validateRepoId, validateRevision } from './repo-ref'

/**
 * The Hugging Face cache, as huggingface_hub lays it out, for `fromPretrained('owner/name')`:
 *
 * ```
 * <cache>/models--owner--name/refs/<revision>          the commit the revision pointed to
 * <cache>/models--owner--name/snapshots/<commit>/…     the pipeline's files at that commit
 * ```
 *
 * A snapshot that is there is used without any network request (offline-first); otherwise the
 * ONNX pipeline's files are downloaded into `snapshots/<commit>` (resumable and verified, as every
 * Stepwise download) and the ref is written last. Files are stored in the snapshot folder itself
 * rather than as links into `blobs/` (what huggingface_hub does where links are unavailable), so
 * a snapshot written by huggingface_hub (diffusers' own downloads) is read as well.
 */

/** Options of {@link snapshotDownload}. */
export interface SnapshotDownloadOptions {
  /** Branch, tag or commit. Default `main`. */
  revision?: string
  /** Access token for gated or private repositories; default `HF_TOKEN`. Never logged or written. */
  token?: string
  /** The cache folder; default `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string
  /** Never use the network: only a snapshot already in the cache (also when `HF_HUB_OFFLINE=1`). */
  localFilesOnly?: boolean
  /** Hub endpoint; default `HF_ENDPOINT`, else https://huggingface.co. */
  endpoint?: string
  /** Where `HF_*` variables are read from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** Download progress, as `downloadModel` reports it. */
  onEvent?: (event: DownloadEvent) => void
  signal?: AbortSignal
}

/** Where a repository's snapshot is, and whether this call fetched it. */
export interface SnapshotLocation {
  repo: string
  revision: string
  commit: string
  /** The snapshot folder: a model folder `fromPretrained` opens. */
  dir: string
  /** False when the snapshot was already in the cache (no request was made). */
  downloaded: boolean
}

const COMMIT = /^[0-9a-f]{40}$/

/** huggingface_hub's default cache folder for this environment. */
export function defaultHubCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env
): string {
  if (nonEmpty(env.HF_HUB_CACHE)) return path.resolve(env.HF_HUB_CACHE)
  if (nonEmpty(env.HF_HOME)) return path.resolve(env.HF_HOME, 'hub')
  const cacheHome = nonEmpty(env.XDG_CACHE_HOME)
    ? env.XDG_CACHE_HOME
    : path.join(os.homedir(), '.cache')
  return path.join(cacheHome, 'huggingface', 'hub')
}

/** `<cache>/models--owner--name`. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${validateRepoId(repo).replace('/', '--')}`)
}

/** A snapshot is usable when Stepwise finished it, or another tool wrote it (no manifest of ours). */
async function usableSnapshot(dir: string): Promise<boolean> {
  const status = await readDownloadStatus(dir)
  if (status.state === 'complete') return true
  if (status.state === 'partial') return false
  return fs
    .stat(path.join(dir, 'model_index.json'))
    .then((s) => s.isFile())
    .catch(() => false)
}

async function readRef(repoDir: string, revision: string): Promise<string | null> {
  const text = await fs.readFile(path.join(repoDir, 'refs', revision), 'utf8').catch(() => null)
  const commit = text?.trim() ?? ''
  return COMMIT.test(commit) ? commit : null
}

/**
 * The snapshot of `repo` at `revision` in the Hugging Face cache: the one already there, without
 * a request, or downloaded now. Throws a {@link HubError} naming the repository (`not-found` when
 * offline and not cached).
 */
export async function snapshotDownload(
  repo: string,
  options: SnapshotDownloadOptions = {}
): Promise<SnapshotLocation> {
  const env = options.env ?? process.env
  const id = validateRepoId(repo)
  const revision = validateRevision(options.revision ?? 'main')
  const cacheDir = path.resolve(options.cacheDir ?? defaultHubCacheDir(env))
  const repoDir = repoCacheDir(cacheDir, id)
  const known = COMMIT.test(revision) ? revision : await readRef(repoDir, revision)
  if (known !== null) {
    const dir = path.join(repoDir, 'snapshots', known)
    if (await usableSnapshot(dir)) {
      return { repo: id, revision, commit: known, dir, downloaded: false }
    }
  }
  if (options.localFilesOnly === true || isTrue(env.HF_HUB_OFFLINE)) {
    throw new HubError(
      'not-found',
      `${id}@${revision} is not in the Hugging Face cache (${repoDir}) and downloads are off (${options.localFilesOnly === true ? 'localFilesOnly' : 'HF_HUB_OFFLINE'}); download it once with the network on`
    )
  }
  const result = await downloadModel({
    repo: id,
    revision,
    dest: (commit) => path.join(repoDir, 'snapshots', commit),
    accessToken: options.token ?? tokenFrom(env),
    endpoint: options.endpoint,
    env,
    signal: options.signal,
    onEvent: options.onEvent
  })
  if (result.revision !== result.commit) {
    // Written last: a ref always points at a complete snapshot.
    const ref = path.join(repoDir, 'refs', revision)
    await fs.mkdir(path.dirname(ref), { recursive: true })
    await writeFileAtomic(ref, result.commit)
  }
  return { repo: id, revision, commit: result.commit, dir: result.dest, downloaded: true }
}

function tokenFrom(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN
  return nonEmpty(token) ? token : undefined
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== ''
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase())
}
