import { contextBridge, ipcRenderer } from 'electron'
import { OPERATION_NAMES, channelFor } from '../../shared/channels'
import type { OperationName } from '../../shared/channels'

/**
 * The only bridge between page and main: one named function per contract operation. The page
 * never sees `ipcRenderer`, Node, or channel names; each call resolves to the handler's
 * envelope, which the renderer's client unwraps.
 */
function invoker(operation: OperationName) {
  return (...args: unknown[]): Promise<unknown> =>
    ipcRenderer.invoke(channelFor(operation), ...args)
}

const bridge = Object.fromEntries(OPERATION_NAMES.map((op) => [op, invoker(op)]))

contextBridge.exposeInMainWorld('stepwise', Object.freeze(bridge))
