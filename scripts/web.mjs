// `npm run web -- [--port N] [--no-open]`: builds on demand, then serves the UI to a browser.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureBuild } from './ensure-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
ensureBuild()
const child = spawn(
  process.execPath,
  [join(root, 'out/main/server.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit'
  }
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 1))
