import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { createBridge } from './bridge'

/**
 * The only bridge between page and main: `window.stepwise` (see ./bridge.ts). The page never
 * sees `ipcRenderer`, Node, channel names or the IpcRendererEvent. `pathForFile` turns a folder
 * the user dropped on the window into its path (for adding a model folder).
 */
contextBridge.exposeInMainWorld(
  'stepwise',
  createBridge(
    {
      invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
      on: (channel, listener) => {
        ipcRenderer.on(channel, listener)
      },
      send: (channel) => ipcRenderer.send(channel)
    },
    // Only a File the page got from a user's drop or file input has a path; others give ''.
    (file: File) => webUtils.getPathForFile(file)
  )
)
