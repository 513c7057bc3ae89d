import { homedir } from 'node:os'
import { posix, win32 } from 'node:path'

/** The data folder's subfolder for the engine's graph-pass check verdicts (`graphPassCacheDir`). */
export const GRAPH_PASS_CACHE_FOLDER = 'graph-pass-cache'

/** The product name Electron derives its per-user folder from (package.json `productName`). */
export const PRODUCT_NAME = 'Stepwise'

/**
 * The folder Electron's `app.getPath('userData')` returns for {@link PRODUCT_NAME} on this OS,
 * computed without Electron so the browser-mode server uses the same data (history) as the app:
 * `%APPDATA%\Stepwise` on Windows, `~/Library/Application Support/Stepwise` on macOS,
 * `$XDG_CONFIG_HOME/Stepwise` (default `~/.config/Stepwise`) elsewhere.
 */
export function defaultUserDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir()
): string {
  if (platform === 'win32') {
    return win32.join(env['APPDATA'] ?? win32.join(home, 'AppData', 'Roaming'), PRODUCT_NAME)
  }
  if (platform === 'darwin') {
    return posix.join(home, 'Library', 'Application Support', PRODUCT_NAME)
  }
  const config = env['XDG_CONFIG_HOME']
  const base = config !== undefined && config !== '' ? config : posix.join(home, '.config')
  return posix.join(base, PRODUCT_NAME)
}

/**
 * Model folders named in an environment variable (`STEPWISE_MODELS_DIR`), separated like PATH
 * (`:`, or `;` on Windows). Used by Electron tests and power users; empty when unset.
 */
export function modelDirsFromEnv(
  value: string | undefined,
  platform: NodeJS.Platform = process.platform
): string[] {
  if (value === undefined) return []
  return value.split(platform === 'win32' ? ';' : ':').filter((d) => d !== '')
}
