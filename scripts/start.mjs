// `npm start`: builds on demand and launches the Electron app.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import electronBinary from './electron-binary.cjs'
import { ensureBuild } from './ensure-build.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electron = electronBinary.findElectronBinary()
if ('missing' in electron) {
  console.error(
    'error: the Electron binary is not installed (it is skipped when ELECTRON_SKIP_BINARY_DOWNLOAD=1).\n' +
      'With internet access run `node node_modules/electron/install.js`, or use browser mode: `npm run web`.'
  )
  process.exit(1)
}
ensureBuild()
const child = spawn(electron.path, [root, ...process.argv.slice(2)], { stdio: 'inherit' })
child.on('exit', (code) => process.exit(code ?? 1))
