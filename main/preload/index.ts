import { contextBridge, ipcRenderer } from 'electron'
import type { IpcRendererEvent } from 'electron'
import {
  EVENT_ACK_CHANNEL,
  EVENT_CHANNEL,
  OPERATION_NAMES,
  carriesPreview,
  channelFor
} from '../../shared/channels'
import type { OperationName } from '../../shared/channels'

/**
 * The only bridge between page and main: `window.stepwise` has one named function per contract
 * operation plus `onEvent`. The page never sees `ipcRenderer`, Node, channel names or the
 * `IpcRendererEvent`; each call resolves to the handler's envelope, which the renderer's client
 * unwraps, and each event listener receives the payload only.
 */
function invoker(operation: OperationName) {
  return (...args: unknown[]): Promise<unknown> =>
    ipcRenderer.invoke(channelFor(operation), ...args)
}

type Listener = (event: unknown) => void
const listeners = new Set<Listener>()

ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, payload: unknown) => {
  for (const listener of [...listeners]) {
    try {
      listener(payload)
    } catch (error) {
      console.error('stepwise event listener failed', error)
    }
  }
  // Main holds the next preview back until this one has reached the page (latest wins).
  if (carriesPreview(payload)) ipcRenderer.send(EVENT_ACK_CHANNEL)
})

/** Subscribes to main's events; returns the unsubscribe function. */
function onEvent(listener: Listener): () => void {
  if (typeof listener !== 'function') throw new TypeError('onEvent needs a function')
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

const bridge = Object.fromEntries([
  ...OPERATION_NAMES.map((op) => [op, invoker(op)] as const),
  ['onEvent', onEvent] as const
])

contextBridge.exposeInMainWorld('stepwise', Object.freeze(bridge))
