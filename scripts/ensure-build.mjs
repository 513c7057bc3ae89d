// Builds out/ when any source is newer than the last build, so `npm run cli`, `npm run web`,
// `npm start` and the e2e tests work straight after `npm ci` and never run stale code.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
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

/** Runs `electron-vite build` if out/ is missing or older than a source file. */
export function ensureBuild({ quiet = false } = {}) {
  const newestSource = Math.max(
    ...sources.filter((s) => existsSync(join(root, s))).map((s) => newestMtime(join(root, s)))
  )
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource) return
  if (!quiet) console.error('Building Stepwise (sources changed since the last build)…')
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : ['ignore', 'inherit', 'inherit']
    }
  )
  if (result.status !== 0) {
    console.error('error: the build failed (see above)')
    process.exit(1)
  }
  writeFileSync(stamp, new Date().toISOString())
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureBuild()
