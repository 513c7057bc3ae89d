import { promises as fs } from 'node:fs'
import path from 'node:path'

/**
 * Writes `data` to `file` so that a reader sees either the old content or the new, never a
 * torn mix, even across a crash: write a temporary file beside it, fsync it, rename it over the
 * target, then fsync the folder so the rename itself is durable.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`)
  const handle = await fs.open(tmp, 'w')
  try {
    await handle.writeFile(data, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.rename(tmp, file)
  } catch (error) {
    await fs.rm(tmp, { force: true })
    throw error
  }
  await syncDir(dir)
}

/** fsyncs a folder (making renames in it durable); a no-op where the platform refuses. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(dir, 'r')
    await handle.sync()
  } catch {
    // Windows cannot open folders for fsync; NTFS journals the rename anyway.
  } finally {
    await handle?.close()
  }
}
