import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { asar } from './builder-modules'

/** A file in an asar archive. */
export interface ArchiveEntry {
  /** The path inside the archive, `/`-separated, without a leading slash. */
  path: string
  size: number
  /** Stored beside the archive, in `<archive>.unpacked`, rather than in it. */
  unpacked: boolean
}

interface HeaderNode {
  files?: Record<string, HeaderNode>
  size?: number
  unpacked?: boolean
  link?: string
}

/** Every file (not folder or link) the archive's header lists. */
export function archiveEntries(archive: string): ArchiveEntry[] {
  const { header } = asar.getRawHeader(archive) as { header: HeaderNode }
  const entries: ArchiveEntry[] = []
  const walk = (node: HeaderNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix === '' ? name : `${prefix}/${name}`
      if (child.files !== undefined) walk(child, path)
      else if (child.link === undefined) {
        entries.push({ path, size: child.size ?? 0, unpacked: child.unpacked === true })
      }
    }
  }
  walk(header, '')
  return entries
}

/**
 * The SHA-256 of the archive's header, as Electron checks it at start-up when the
 * EnableEmbeddedAsarIntegrityValidation fuse is on (the hash is kept in the Windows
 * executable's resources and the macOS Info.plist).
 */
export function archiveHeaderHash(archive: string): string {
  const { headerString } = asar.getRawHeader(archive)
  return createHash('sha256').update(headerString).digest('hex')
}

/** The package folders (`node_modules/…`, nested ones included) an archive holds. */
export function packagesIn(entries: readonly ArchiveEntry[]): string[] {
  return entries
    .map((e) => e.path)
    .filter((p) => p.endsWith('/package.json'))
    .map((p) => p.slice(0, -'/package.json'.length))
    .filter((dir) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*$/.test(dir))
    .sort()
}

interface PackageManifest {
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

function manifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest
}

/** Where Node finds package `name` when `fromDir` (a package folder) requires it. */
function packageDir(root: string, fromDir: string, name: string): string | null {
  for (let dir = fromDir; ;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === root) return null
    // Up to the folder that holds the enclosing node_modules.
    dir = dirname(dir)
    while (dir !== root && (dir.endsWith(`${sep}node_modules`) || /[\\/]@[^\\/]+$/.test(dir))) {
      dir = dirname(dir)
    }
  }
}

/**
 * The installed packages the app needs at run time, as `node_modules/…` folders relative to
 * `root`: the `dependencies` of root's package.json (less `excluded`), and theirs, transitively
 * (required peers and installed optional ones too), resolved the way Node resolves them.
 */
export function runtimePackages(root: string, excluded: readonly string[]): string[] {
  const found = new Set<string>()
  const visit = (dir: string): void => {
    const rel = relative(root, dir).split(sep).join('/')
    if (found.has(rel)) return
    found.add(rel)
    const pkg = manifest(dir)
    const required = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter(
        (name) => pkg.peerDependenciesMeta?.[name]?.optional !== true
      )
    ]
    for (const name of [...required, ...Object.keys(pkg.optionalDependencies ?? {})]) {
      if (excluded.includes(name)) continue
      const depDir = packageDir(root, dir, name)
      if (depDir !== null) visit(depDir)
      else if (required.includes(name)) {
        throw new Error(`${rel} needs ${name}, which is not installed (run npm ci)`)
      }
    }
  }
  for (const name of Object.keys(manifest(root).dependencies ?? {})) {
    if (!excluded.includes(name)) visit(join(root, 'node_modules', name))
  }
  return [...found].sort()
}
