// `npm run bench -- [--quick] [--json] [--model DIR] …`: builds on demand (quietly, so --json
// output stays clean), then runs the benchmark (bench/main.ts, through tsx) with the caller's
// arguments and passes its exit code through. See bench/README.md.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuild } from './ensure-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
ensureBuild({ quiet: true })
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(root, 'bench/main.ts'), ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' }
)
process.exit(result.status ?? 1)
