// Where the Electron binary is, or why there is none. The npm package only contains a
// downloader; installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1 (offline, CI) have no binary.
'use strict'
const { existsSync } = require('node:fs')

/** @returns {{ path: string } | { missing: string }} */
function findElectronBinary() {
  try {
    const path = require('electron')
    if (typeof path === 'string' && existsSync(path)) return { path }
  } catch {
    // The package throws when its binary was never downloaded.
  }
  return { missing: 'no Electron binary' }
}

module.exports = { findElectronBinary }
