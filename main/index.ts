import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, session, shell, utilityProcess } from 'electron'
import { openStepwiseApi } from './api/create-api'
import { inferenceStatusOf } from './api/inference-status'
import { appFilePaths, GRAPH_PASS_CACHE_FOLDER, modelDirsFromEnv } from './app-paths'
import { InferenceClient } from './inference/client/inference-client'
import { utilityInferenceProcess } from './inference/client/utility-inference-process'
import { pickModelFolder } from './ipc/folder-dialog'
import { registerIpcHandlers } from './ipc/register-handlers'
import { DownloadManager } from './model-library/download-manager'
import { WindowEventDelivery } from './ipc/window-events'
import { isAppUrl, lockDownNavigation } from './security'
import { secureWebPreferences } from './window-options'

// The renderer is sandboxed everywhere, including any window a future feature adds.
app.enableSandbox()

// Resolved from the app's root, as the packaging test resolves them in the built package.
const files = appFilePaths({
  isPackaged: app.isPackaged,
  appPath: app.getAppPath(),
  resourcesPath: process.resourcesPath
})
const rendererFile = files.renderer
const rendererFileUrl = pathToFileURL(rendererFile).toString()
const devServerUrl = process.env['ELECTRON_RENDERER_URL']
const isTrusted = (url: string): boolean => isAppUrl(url, rendererFileUrl, devServerUrl)

function createMainWindow(delivery: WindowEventDelivery): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Stepwise',
    webPreferences: secureWebPreferences(files.preload)
  })
  lockDownNavigation(window.webContents, isTrusted, (url) => void shell.openExternal(url))
  delivery.attach(window.webContents)
  window.once('ready-to-show', () => window.show())
  if (devServerUrl !== undefined) {
    void window.loadURL(devServerUrl)
  } else {
    void window.loadFile(rendererFile)
  }
  return window
}

/**
 * Models: the shipped folder (inside the installed app's resources, or resources/models of the
 * checkout in development), unless STEPWISE_MODELS_DIR names others (tests, power users).
 * Data: Electron's per-user folder, unless STEPWISE_DATA_DIR names another (tests).
 */
function modelDirs(): string[] {
  const fromEnv = modelDirsFromEnv(process.env['STEPWISE_MODELS_DIR'])
  if (fromEnv.length > 0) return fromEnv
  return [files.modelsDir]
}

void app.whenReady().then(async () => {
  // No page of ours needs camera, notifications or the like (checklist item 5).
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false)
  )
  const dataDir = process.env['STEPWISE_DATA_DIR'] ?? app.getPath('userData')
  // The inference process inherits it: graph-pass check verdicts live in the data folder.
  process.env['STEPWISE_GRAPH_PASS_CACHE_DIR'] = join(dataDir, GRAPH_PASS_CACHE_FOLDER)
  // Inference runs in a utility process: a native crash there fails one job, not the app.
  const inference = new InferenceClient({
    spawn: utilityInferenceProcess((file, args, options) =>
      utilityProcess.fork(file, args, options)
    ),
    entryFile: files.inferenceProcess
  })
  const api = await openStepwiseApi({
    appVersion: app.getVersion(),
    mode: 'electron',
    dataDir,
    modelDirs: modelDirs(),
    inference,
    pickFolder: pickModelFolder,
    downloads: (models, events) => new DownloadManager({ dataDir, models, events }),
    inferenceStatus: () => inferenceStatusOf(inference)
  })
  // Quit only after the running job has stopped and its result is stored (see JobQueue.close).
  let closed = false
  app.on('before-quit', (event) => {
    if (closed) return
    event.preventDefault()
    closed = true
    void api.close().finally(() => app.quit())
  })
  registerIpcHandlers(api, isTrusted)
  const delivery = new WindowEventDelivery(api.events, isTrusted)
  createMainWindow(delivery)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(delivery)
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
