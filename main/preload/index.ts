import { contextBridge, ipcRenderer } from 'electron'
import { createBridge } from './bridge'

/**
 * The only bridge between page and main: `window.stepwise` (see ./bridge.ts). The page never
 * sees `ipcRenderer`, Node, channel names or the IpcRendererEvent.
 */
contextBridge.exposeInMainWorld(
  'stepwise',
  createBridge({
    invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
    on: (channel, listener) => {
      ipcRenderer.on(channel, listener)
    },
    send: (channel) => ipcRenderer.send(channel)
  })
)
