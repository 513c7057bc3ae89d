// Builds out/ when any source is newer than the last build, so `npm run cli`, `npm run web`,
// `npm start` and the e2e tests work straight after `npm ci` and never run stale code.
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stamp = join(root, 'out', '.build-stamp')
const sources = ['main', 'shared', 'renderer', 'package.json', 'electron.vite.config.ts']

function newestMtime(path) {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

const isFresh = () => {
  const newestSource = Math.max(
    ...sources.filter((s) => existsSync(join(root, s))).map((s) => newestMtime(join(root, s)))
  )
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource
}

// Test files that build on demand run in parallel (Vitest forks): two builds at once would
// empty and rewrite out/ under each other. A lock directory (holding its owner's pid) makes the
// second wait, then find the build fresh. A lock whose owner is gone (killed mid-build) is taken
// over.
const lock = join(root, 'node_modules', '.cache', 'stepwise-build.lock')

function ownerAlive() {
  let pid
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'))
  } catch {
    // No pid yet (the owner is between mkdir and writing it), or the lock just went: retry,
    // unless the pid never came (the owner died in between).
    const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()
    return Date.now() - since < 10_000
  }
  if (!Number.isInteger(pid) || pid <= 0) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function withBuildLock(fn) {
  mkdirSync(dirname(lock), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'pid'), String(process.pid))
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      if (ownerAlive()) sleepSync(250)
      else rmSync(lock, { recursive: true, force: true })
    }
  }
  try {
    return fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Runs `electron-vite build` if out/ is missing or older than a source file. */
export function ensureBuild({ quiet = false } = {}) {
  if (isFresh()) return
  // Exit only after the lock is released, or the next build would wait for a stale lock.
  if (!withBuildLock(() => isFresh() || build(quiet))) {
    console.error('error: the build failed (see above)')
    process.exit(1)
  }
}

/** Builds out/; false when electron-vite failed. */
function build(quiet) {
  if (!quiet) console.error('Building Stepwise (sources changed since the last build)…')
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 'inherit', 'inherit']
    }
  )
  if (result.status !== 0) return false
  writeFileSync(stamp, new Date().toISOString())
  return true
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuild()
