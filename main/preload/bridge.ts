import {
  EVENT_ACK_CHANNEL,
  EVENT_CHANNEL,
  OPERATION_NAMES,
  carriesPreview,
  channelFor
} from '../../shared/channels'

/** The part of `ipcRenderer` the bridge uses (so the bridge can be tested without Electron). */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void
  send(channel: string): void
}

/** An event listener as the page registers it. */
export type BridgeListener = (event: unknown) => void

/**
 * Builds `window.stepwise`: one function per contract operation, each invoking its own channel
 * with the page's arguments and resolving to main's envelope, plus `onEvent(listener)` →
 * unsubscribe. Listeners get the event payload only, never the IpcRendererEvent (which would
 * hand the page `sender`, i.e. raw IPC). After an event with a preview reaches the page, the
 * bridge acknowledges it so main may send the next one (latest-wins delivery).
 *
 * Imports nothing but shared/channels.ts: the sandboxed preload cannot load npm packages.
 */
export function createBridge(
  ipc: BridgeIpc,
  /**
   * The file-system path of a File the user dropped on the page (Electron's
   * `webUtils.getPathForFile`), for "drop a model folder here"; omitted where there is none.
   */
  pathForFile?: (file: never) => string
): Record<string, (...args: never[]) => unknown> {
  const listeners = new Set<BridgeListener>()
  ipc.on(EVENT_CHANNEL, (_event, payload) => {
    for (const listener of [...listeners]) {
      try {
        listener(payload)
      } catch (error) {
        console.error('stepwise event listener failed', error)
      }
    }
    if (carriesPreview(payload)) ipc.send(EVENT_ACK_CHANNEL)
  })

  const bridge: Record<string, (...args: never[]) => unknown> = {}
  for (const operation of OPERATION_NAMES) {
    const channel = channelFor(operation)
    bridge[operation] = (...args: unknown[]) => ipc.invoke(channel, ...args)
  }
  if (pathForFile !== undefined) bridge['pathForFile'] = pathForFile
  bridge['onEvent'] = (listener: BridgeListener) => {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function')
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
    }
  }
  return Object.freeze(bridge)
}
