import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'

/**
 * Verdicts of graph-pass exactness checks, by graph fingerprint, so that a model's check runs on
 * its first load only. The engine knows no application folders: by default verdicts live in this
 * process's memory; a host that wants them to survive restarts passes a folder
 * (`graphPassCacheDir`), where they are kept in one small JSON file.
 */

/** The outcome of one exactness check. */
export interface GraphPassVerdict {
  passed: boolean
  /** max |rewritten − original| / max |original| over the test run's outputs, when it ran. */
  maxRelativeDifference: number | null
  /** Why it failed, in words. */
  reason: string | null
  /** ISO time of the check. */
  checkedAt: string
}

/** Where verdicts are looked up and stored. */
export interface GraphPassCache {
  get(fingerprint: string): Promise<GraphPassVerdict | null>
  set(fingerprint: string, verdict: GraphPassVerdict): Promise<void>
}

/** The name of the verdict file inside a cache folder. */
export const GRAPH_PASS_CACHE_FILE = 'graph-pass-checks.json'

const FORMAT = 'stepwise-graph-pass-checks'

/** Verdicts in a Map (one per process unless a caller makes its own). */
export class MemoryGraphPassCache implements GraphPassCache {
  private readonly verdicts = new Map<string, GraphPassVerdict>()

  get(fingerprint: string): Promise<GraphPassVerdict | null> {
    return Promise.resolve(this.verdicts.get(fingerprint) ?? null)
  }

  set(fingerprint: string, verdict: GraphPassVerdict): Promise<void> {
    this.verdicts.set(fingerprint, verdict)
    return Promise.resolve()
  }
}

/**
 * Verdicts in `<dir>/graph-pass-checks.json`. The file is rewritten atomically (write a
 * temporary file, rename); an unreadable or foreign file counts as empty and is replaced on the
 * next write, since a lost verdict only costs one more check.
 */
export class FolderGraphPassCache implements GraphPassCache {
  readonly file: string

  constructor(dir: string) {
    this.file = path.join(dir, GRAPH_PASS_CACHE_FILE)
  }

  private async read(): Promise<Record<string, GraphPassVerdict>> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.file, 'utf8'))
      if (typeof parsed !== 'object' || parsed === null) return {}
      const doc = parsed as { format?: unknown; verdicts?: unknown }
      if (doc.format !== FORMAT || typeof doc.verdicts !== 'object' || doc.verdicts === null)
        return {}
      return doc.verdicts as Record<string, GraphPassVerdict>
    } catch {
      return {}
    }
  }

  async get(fingerprint: string): Promise<GraphPassVerdict | null> {
    const v = (await this.read())[fingerprint]
    return v !== undefined && typeof v.passed === 'boolean' ? v : null
  }

  async set(fingerprint: string, verdict: GraphPassVerdict): Promise<void> {
    const verdicts = { ...(await this.read()), [fingerprint]: verdict }
    await fs.mkdir(path.dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    await fs.writeFile(
      tmp,
      `${JSON.stringify({ format: FORMAT, version: 1, verdicts }, null, 2)}\n`
    )
    await fs.rename(tmp, this.file)
  }
}

const processCache = new MemoryGraphPassCache()

/** The cache for a cache folder option: that folder's file, or this process's memory. */
export function graphPassCache(dir: string | undefined): GraphPassCache {
  return dir === undefined ? processCache : new FolderGraphPassCache(dir)
}

/**
 * A graph's fingerprint for check verdicts: a hash of the `.onnx` bytes (its structure and, for
 * weights kept inside, the weights), the sizes of the external weight files beside it, and
 * `salt` (the pass, its version, onnxruntime's version: what could change the outcome). Hashing
 * the external weights themselves would read gigabytes at every load; a check's outcome depends
 * on the graph's structure, and a rewritten weight file of the same size is re-checked when the
 * `.onnx` file changes with it (its offsets and lengths are in it).
 */
export async function graphFingerprint(
  file: string,
  bytes: Uint8Array,
  salt: string
): Promise<string> {
  const hash = createHash('sha256').update(salt).update('\u0000').update(bytes)
  const dir = path.dirname(file)
  const names = (await fs.readdir(dir).catch(() => [] as string[])).sort()
  for (const name of names) {
    if (name === path.basename(file) || name.endsWith('.json')) continue
    const info = await fs.stat(path.join(dir, name)).catch(() => null)
    if (info?.isFile() === true) hash.update(`\u0000${name}:${info.size}`)
  }
  return hash.digest('hex')
}
