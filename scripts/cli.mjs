// `npm run cli -- <args>`: builds on demand (quietly, so --json output stays clean), then runs
// the CLI with the caller's arguments and passes its exit code through. npm starts scripts in the
// package folder; the CLI runs in the folder `npm run` was called from (INIT_CWD), so relative
// paths mean what the caller meant.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuild } from './ensure-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
ensureBuild({ quiet: true })
const result = spawnSync(
  process.execPath,
  [join(root, 'out/main/cli.js'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: process.env.INIT_CWD ?? process.cwd() }
)
process.exit(result.status ?? 1)
