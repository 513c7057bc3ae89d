import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DownloadEvent, RetryOptions } from '../../main/engine'

/** Helpers shared by the hub tests (not used by the app). */

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..')

/** A fixture model folder by name, e.g. `tiny-sd-random`. */
export function fixtureModel(name: string): string {
  return path.join(REPO_ROOT, 'fixtures', 'models', name)
}

/** Retries that keep the tests fast: a few milliseconds apart. */
export const FAST_RETRY: RetryOptions = { retries: 3, minDelayMs: 5, maxDelayMs: 20 }

/** A fresh temporary folder; remove it with {@link removeTempDir}. */
export async function makeTempDir(prefix = 'stepwise-hub-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix))
}

/** Removes a temporary folder. */
export async function removeTempDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true })
}

/** Every file under `root` (recursively), as `/`-separated relative paths, sorted. */
export async function listTree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  const dir = path.join(root, prefix)
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const e of entries) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`
    if (e.isDirectory()) out.push(...(await listTree(root, rel)))
    else out.push(rel)
  }
  return out.sort()
}

/** Collects download events, with filters by type. */
export class EventLog {
  readonly events: DownloadEvent[] = []
  readonly push = (event: DownloadEvent): void => {
    this.events.push(event)
  }

  of<T extends DownloadEvent['type']>(type: T): Extract<DownloadEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<DownloadEvent, { type: T }> => e.type === type)
  }
}

/** Resolves once `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition')
    await new Promise((r) => setTimeout(r, 10))
  }
}
