import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'

/** One file of a test repository, with the ids the real Hub would report for it. */
export interface SnapshotFile {
  path: string
  size: number
  sha256: string
  /** Stored through Git LFS (then the tree lists `lfs`, and `resolve` redirects to the CDN). */
  lfs: boolean
  /** Git blob id: of the content for git files, of the LFS pointer for LFS files. */
  gitOid: string
  /** Size of the LFS pointer file (LFS files only; 0 otherwise). */
  pointerSize: number
  /** The bytes. Test repositories are fixture-sized, so they are held in memory. */
  content: Buffer
}

/** A repository at one commit. */
export interface RepoSnapshot {
  repo: string
  /** Branch or tag name this snapshot is published under (commits resolve too). */
  revision: string
  commit: string
  files: SnapshotFile[]
}

// The Hub's default .gitattributes sends these to LFS, plus anything over 10 MiB.
const LFS_EXTENSIONS =
  /\.(onnx|onnx_data|pb|bin|safetensors|ckpt|pt|pth|msgpack|h5|ot|model|png|jpg|jpeg|webp)$/
const LFS_SIZE = 10 * 2 ** 20

/**
 * Builds a snapshot from a folder on disk (every file under it, recursively) plus extra
 * in-memory files, e.g. `README.md` or `unet/diffusion_pytorch_model.safetensors`, to exercise
 * the download's filtering. The commit id is a hash of the content, so it is stable across runs.
 */
export async function loadSnapshot(options: {
  repo: string
  revision?: string
  dir?: string
  extraFiles?: Readonly<Record<string, Buffer | string>>
}): Promise<RepoSnapshot> {
  const contents = new Map<string, Buffer>()
  if (options.dir !== undefined) {
    for (const rel of await walk(options.dir)) {
      contents.set(rel, await fs.readFile(path.join(options.dir, ...rel.split('/'))))
    }
  }
  for (const [rel, content] of Object.entries(options.extraFiles ?? {})) {
    contents.set(rel, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'))
  }
  const files = [...contents.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rel, content]) => describeFile(rel, content))
  const commit = createHash('sha1')
    .update(files.map((f) => `${f.path}\0${f.gitOid}\n`).join(''))
    .update(options.revision ?? 'main')
    .digest('hex')
  return { repo: options.repo, revision: options.revision ?? 'main', commit, files }
}

/** The ids of one file, as git and git-lfs compute them. */
export function describeFile(rel: string, content: Buffer): SnapshotFile {
  const sha256 = createHash('sha256').update(content).digest('hex')
  const lfs = LFS_EXTENSIONS.test(rel) || content.length > LFS_SIZE
  const pointer = lfsPointer(sha256, content.length)
  const blob = lfs ? Buffer.from(pointer, 'utf8') : content
  return {
    path: rel,
    size: content.length,
    sha256,
    lfs,
    gitOid: gitBlobId(blob),
    pointerSize: lfs ? Buffer.byteLength(pointer) : 0,
    content
  }
}

/** The text git stores in place of an LFS file. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`
}

/** Git's blob id: sha1 of `blob <size>\0` followed by the bytes. */
export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}

async function walk(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  const entries = await fs.readdir(path.join(root, prefix), { withFileTypes: true })
  for (const entry of entries) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) out.push(...(await walk(root, rel)))
    else if (entry.isFile()) out.push(rel)
  }
  return out
}
