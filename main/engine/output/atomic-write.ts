import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  openSync,
  promises as fs,
  renameSync,
  rmSync,
  writeSync
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * The one way Stepwise replaces a file: the engine's PNG writer, and through the engine's index
 * the history, the model library and Hub downloads. Readers (and a crash at any moment) see
 * either the old file or the complete new one, never a mix.
 */

/** Marks temporary files of {@link writeFileAtomic}: `<name>.tmp-<pid>-<random>`. */
export const TEMP_MARKER = '.tmp-'

function tempPathFor(path: string): string {
  return `${path}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`
}

/**
 * Writes `data` to `path` atomically: a temporary file beside it, fsynced, renamed over the
 * target, then the folder fsynced so the rename itself survives a power cut. On failure the
 * temporary file is removed and the target is untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(path)
  let handle: fs.FileHandle | null = null
  try {
    handle = await fs.open(temp, 'wx', 0o644)
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = null
    await fs.rename(temp, path)
  } catch (error) {
    await handle?.close().catch(() => undefined)
    await fs.rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncFolder(dirname(path))
}

/** {@link writeFileAtomic} for synchronous callers (the engine's `writePngFile`). */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const temp = tempPathFor(path)
  let fd: number | null = null
  try {
    fd = openSync(temp, 'wx', 0o644)
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fsyncSync(fd)
    closeSync(fd)
    fd = null
    renameSync(temp, path)
  } catch (error) {
    if (fd !== null) closeSync(fd)
    rmSync(temp, { force: true })
    throw error
  }
  syncFolderSync(dirname(path))
}

/** fsyncs a folder (its entries); not possible on Windows, where rename is already durable. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await fs.open(folder, 'r').catch(() => null)
  if (handle === null) return
  await handle.sync().catch(() => undefined)
  await handle.close().catch(() => undefined)
}

function syncFolderSync(folder: string): void {
  if (process.platform === 'win32') return
  try {
    const fd = openSync(folder, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // A folder that cannot be opened or synced: the rename has happened; durability is best effort.
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes temporary files a crash left behind next to `path` (they are never read: the target
 * is only ever replaced by rename). Files of a process that is still running (another Stepwise
 * sharing the folder, mid-write) are left alone. Returns how many were removed.
 */
export async function removeLeftoverTempFiles(path: string): Promise<number> {
  const folder = dirname(path)
  const prefix = `${basename(path)}${TEMP_MARKER}`
  const names = await fs.readdir(folder).catch(() => [] as string[])
  let removed = 0
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length).split('-')[0])
    if (Number.isInteger(pid) && isAlive(pid)) continue
    await fs.rm(join(folder, name), { force: true }).then(
      () => removed++,
      () => undefined
    )
  }
  return removed
}
