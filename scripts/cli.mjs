// `npm run cli -- <args>`: builds on demand (quietly, so --json output stays clean), then runs
// the CLI with the caller's arguments and passes its exit code through.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuild } from './ensure-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
ensureBuild({ quiet: true })
const result = spawnSync(
  process.execPath,
  [join(root, 'out/main/cli.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit'
  }
)
process.exit(result.status ?? 1)
