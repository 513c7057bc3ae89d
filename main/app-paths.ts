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

/**
 * The built files the app loads at run time, relative to the app's root folder: the checkout in
 * development (`electron .`), the `resources/app.asar` archive once packaged. electron-vite
 * writes them (electron.vite.config.ts) and electron-builder packs them (electron-builder.yml);
 * main/packaging.test.ts checks that the package holds each one here.
 */
export const APP_FILES = {
  main: 'out/main/index.js',
  inferenceProcess: 'out/main/inference.js',
  preload: 'out/preload/index.js',
  renderer: 'out/renderer/index.html'
} as const

/**
 * The shipped models' folder: `models` under the app's `resources/` once packaged (the
 * `extraResources` of electron-builder.yml: outside the archive, so onnxruntime can open the
 * files by path), `resources/models` of the checkout in development.
 */
export const SHIPPED_MODELS_DIR = { packaged: 'models', development: 'resources/models' } as const

/** Where Electron says the app runs from (`app.isPackaged`, `app.getAppPath()`, `process.resourcesPath`). */
export interface AppLocation {
  isPackaged: boolean
  /** The app's root: the `resources/app.asar` archive once packaged, the checkout in development. */
  appPath: string
  /** The folder beside the archive that holds files shipped outside it. */
  resourcesPath: string
}

/** The absolute paths of what the Electron app loads. */
export interface AppFilePaths {
  /** The inference child process's entry (run with `utilityProcess.fork`). */
  inferenceProcess: string
  preload: string
  renderer: string
  /** The folder of models that come with the app. */
  modelsDir: string
}

/**
 * Where the Electron app finds its inference-process entry, preload, renderer and shipped
 * models, in development and packaged alike. One function so the packaging test can resolve
 * exactly what the installed app will.
 */
export function appFilePaths(
  location: AppLocation,
  platform: NodeJS.Platform = process.platform
): AppFilePaths {
  const path = platform === 'win32' ? win32 : posix
  const inApp = (file: string): string => path.join(location.appPath, file)
  return {
    inferenceProcess: inApp(APP_FILES.inferenceProcess),
    preload: inApp(APP_FILES.preload),
    renderer: inApp(APP_FILES.renderer),
    modelsDir: location.isPackaged
      ? path.join(location.resourcesPath, SHIPPED_MODELS_DIR.packaged)
      : path.join(location.appPath, SHIPPED_MODELS_DIR.development)
  }
}
