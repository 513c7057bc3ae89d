import { createHash } from 'node:crypto'
import type { RepoSnapshot } from './repo-snapshot'

/**
 * JSON bodies of the Hub API endpoints the client uses, shaped like huggingface.co's answers
 * (the fields huggingface_hub and @huggingface/hub read, with their names and nesting).
 */

/** One entry of `GET /api/models/{repo}/tree/{rev}`. */
export interface TreeEntry {
  type: 'file' | 'directory'
  oid: string
  size: number
  path: string
  lfs?: { oid: string; size: number; pointerSize: number }
}

/**
 * `GET /api/models/{repo}/revision/{rev}` (and `/api/models/{repo}`): model info with
 * `siblings`. With `blobs=true` each sibling also has `size`, `blobId` and, for LFS files,
 * `lfs: { sha256, size, pointerSize }`, as on the Hub.
 */
export function modelInfoBody(snapshot: RepoSnapshot, gated: boolean, blobs: boolean): object {
  const [author] = snapshot.repo.split('/')
  return {
    _id: createHash('sha1').update(snapshot.repo).digest('hex').slice(0, 24),
    id: snapshot.repo,
    modelId: snapshot.repo,
    author,
    sha: snapshot.commit,
    lastModified: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    private: false,
    disabled: false,
    gated: gated ? 'manual' : false,
    downloads: 0,
    likes: 0,
    tags: ['diffusers', 'onnx', 'text-to-image'],
    pipeline_tag: 'text-to-image',
    library_name: 'diffusers',
    siblings: snapshot.files.map((f) =>
      blobs
        ? {
            rfilename: f.path,
            size: f.size,
            blobId: f.gitOid,
            ...(f.lfs
              ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: f.pointerSize } }
              : {})
          }
        : { rfilename: f.path }
    )
  }
}

/**
 * The tree under `prefix` (`''` for the root): files and folders, recursively or one level.
 * Folders come with a tree id, files with their blob id and, for LFS files, `lfs.oid` = the
 * sha256 of the content and `size` = the content size.
 */
export function treeEntries(
  snapshot: RepoSnapshot,
  prefix: string,
  recursive: boolean
): TreeEntry[] {
  const base = prefix === '' ? '' : `${prefix}/`
  const dirs = new Map<string, string[]>()
  const out: TreeEntry[] = []
  for (const f of snapshot.files) {
    if (!f.path.startsWith(base)) continue
    const rest = f.path.slice(base.length)
    const parts = rest.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = base + parts.slice(0, i).join('/')
      if (!recursive && i > 1) break
      const members = dirs.get(dir) ?? []
      members.push(f.gitOid)
      dirs.set(dir, members)
    }
    if (!recursive && parts.length > 1) continue
    out.push({
      type: 'file',
      oid: f.gitOid,
      size: f.size,
      path: f.path,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: f.pointerSize } } : {})
    })
  }
  for (const [dir, members] of dirs) {
    out.push({
      type: 'directory',
      oid: createHash('sha1').update(members.join('')).digest('hex'),
      size: 0,
      path: dir
    })
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
