import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { RepoFile } from './repo-listing'

/** A running hash of a file's bytes and the value the listing promises. */
export interface FileDigest {
  /** `sha256` for LFS files (the LFS object id), `git-sha1` for files kept in git (the blob id). */
  algorithm: 'sha256' | 'git-sha1'
  expected: string
  update(chunk: Uint8Array): void
  /** The final hash, lowercase hex. Call once. */
  hex(): string
}

/**
 * The digest that verifies `file`, or null when the listing gives no hash to check against (the
 * size is still checked). Git's blob id hashes a `blob <size>\0` header before the content, so
 * the size must be known up front — it is, from the listing.
 */
export function createFileDigest(file: RepoFile): FileDigest | null {
  let hash: Hash
  let algorithm: FileDigest['algorithm']
  let expected: string
  if (file.sha256 !== null) {
    hash = createHash('sha256')
    algorithm = 'sha256'
    expected = file.sha256
  } else if (file.gitOid !== null) {
    hash = createHash('sha1').update(`blob ${file.size}\0`)
    algorithm = 'git-sha1'
    expected = file.gitOid
  } else {
    return null
  }
  return {
    algorithm,
    expected,
    update: (chunk) => {
      hash.update(chunk)
    },
    hex: () => hash.digest('hex')
  }
}

/**
 * Feeds the first `bytes` bytes of an existing file (a partial download being resumed) into a
 * digest, so that the final hash covers the whole file without holding state across processes.
 */
export async function feedExisting(
  file: string,
  bytes: number,
  digest: FileDigest,
  signal?: AbortSignal
): Promise<void> {
  if (bytes === 0) return
  const stream = createReadStream(file, { start: 0, end: bytes - 1, signal })
  for await (const chunk of stream as AsyncIterable<Buffer>) digest.update(chunk)
}
