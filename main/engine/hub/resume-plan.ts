import { promises as fs } from 'node:fs'
import {
  PART_SUFFIX,
  readDownloadStatus,
  type DownloadStatus,
  type ManifestFile
} from './download-state'
import { createFileDigest, feedExisting } from './file-digest'
import { HubError } from './hub-error'
import { localPath } from './local-path'
import type { RepoFile } from './repo-listing'

/**
 * The destination folder before a run: whether it may be used, and what a new run can keep from
 * earlier ones. Everything here errs towards fetching again: a file is kept only if its listing
 * entry is unchanged and its bytes are accounted for.
 */

/**
 * Reads what `dest` holds, refusing a folder with something other than a download of `repo`
 * (a missing folder is fine: it is created once the listing succeeded).
 */
export async function inspectDest(dest: string, repo: string): Promise<DownloadStatus> {
  const status = await readDownloadStatus(dest)
  if (status.state === 'none') {
    const entries = await fs.readdir(dest).catch(() => [])
    if (entries.length > 0) {
      throw new HubError(
        'invalid-argument',
        `${dest} is not empty and holds no Stepwise download; choose an empty or new folder`
      )
    }
    return status
  }
  const other = status.state === 'complete' ? status.marker.repo : status.manifest.repo
  if (other !== repo) {
    throw new HubError(
      'invalid-argument',
      `${dest} already holds a download of ${other}; choose another folder for ${repo}`
    )
  }
  return status
}

/** Refuses to start when the folder's file system has less room than the bytes still to fetch. */
export async function checkFreeSpace(dest: string, needed: number): Promise<void> {
  const stats = await fs.statfs(dest).catch(() => null)
  if (stats === null) return
  const free = stats.bavail * stats.bsize
  if (needed > free) {
    const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
    throw new HubError(
      'disk-space',
      `${dest} has ${mib(free)} free but the download needs ${mib(needed)} more`
    )
  }
}

/** True when a listing entry and a recorded entry describe the same bytes. */
export function sameFile(a: RepoFile, b: Omit<ManifestFile, 'done'>): boolean {
  return a.path === b.path && a.size === b.size && a.sha256 === b.sha256 && a.gitOid === b.gitOid
}

/** True when the folder is already a complete, marked download of exactly these files. */
export async function alreadyComplete(
  status: DownloadStatus,
  commit: string,
  files: readonly RepoFile[],
  dest: string
): Promise<boolean> {
  if (status.state !== 'complete' || status.marker.commit !== commit) return false
  const marked = status.marker.files
  if (marked.length !== files.length) return false
  for (const f of files) {
    const m = marked.find((x) => x.path === f.path)
    if (m === undefined || !sameFile(f, m)) return false
    if ((await sizeOf(localPath(dest, f.path))) !== f.size) return false
  }
  return true
}

/**
 * The manifest entries for this commit. A file finished by an earlier run stays done if its
 * listing entry is unchanged and it is on disk at the right size. A file present on disk but not
 * recorded (say the process died between the rename and the manifest write) is re-hashed and
 * kept if it matches. A partial of a file whose listing entry changed is deleted: its bytes
 * belong to another version.
 */
export async function carryOver(
  files: readonly RepoFile[],
  previous: readonly ManifestFile[],
  dest: string
): Promise<ManifestFile[]> {
  const out: ManifestFile[] = []
  for (const f of files) {
    const finalPath = localPath(dest, f.path)
    const before = previous.find((p) => p.path === f.path)
    const unchanged = before !== undefined && sameFile(f, before)
    if (!unchanged) await fs.rm(finalPath + PART_SUFFIX, { force: true })
    let done = false
    if ((await sizeOf(finalPath)) === f.size) {
      done = unchanged && before.done ? true : await matchesListing(finalPath, f)
      if (!done) await fs.rm(finalPath, { force: true })
    }
    out.push({ path: f.path, size: f.size, sha256: f.sha256, gitOid: f.gitOid, done })
  }
  return out
}

async function matchesListing(file: string, entry: RepoFile): Promise<boolean> {
  const digest = createFileDigest(entry)
  if (digest === null) return false
  await feedExisting(file, entry.size, digest)
  return digest.hex() === digest.expected
}

/** Bytes already present: finished files plus partial ones. */
export async function bytesOnDisk(
  files: readonly RepoFile[],
  manifest: readonly ManifestFile[],
  dest: string
): Promise<number> {
  let sum = 0
  for (const f of files) {
    if (manifest.find((m) => m.path === f.path)?.done === true) sum += f.size
    else sum += Math.min(f.size, (await sizeOf(localPath(dest, f.path) + PART_SUFFIX)) ?? 0)
  }
  return sum
}

/** A file's size, or null when it does not exist. */
export async function sizeOf(file: string): Promise<number | null> {
  return (await fs.stat(file).catch(() => null))?.size ?? null
}
