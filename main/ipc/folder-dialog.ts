import { BrowserWindow, dialog } from 'electron'

/**
 * The "Add model folder…" dialog: the OS folder picker, attached to the focused window. Electron
 * only (the API takes it as `ApiHost.pickFolder`); the chosen path goes through the same checks
 * as a typed one (`addModel`).
 */
export async function pickModelFolder(): Promise<string | null> {
  const options: Electron.OpenDialogOptions = {
    title: 'Add a model folder',
    buttonLabel: 'Add model folder',
    message: 'Choose a diffusers / optimum ONNX model folder (it holds model_index.json)',
    properties: ['openDirectory', 'dontAddToRecent']
  }
  const window = BrowserWindow.getFocusedWindow()
  const result =
    window === null
      ? await dialog.showOpenDialog(options)
      : await dialog.showOpenDialog(window, options)
  return result.canceled ? null : (result.filePaths[0] ?? null)
}
