import { ipcMain } from 'electron'
import type { IpcMainEvent, WebContents } from 'electron'
import { EVENT_ACK_CHANNEL } from '../../shared/channels'
import type { EventHub } from '../events/event-hub'
import { IpcEventSender } from './ipc-event-sender'
import { senderAllowed } from './sender-check'

/**
 * Sends main's events to the app's own windows only, each through its own latest-wins
 * {@link IpcEventSender}, and routes the preload's preview acknowledgements back to it. The
 * testable logic lives in IpcEventSender; this file is the thin Electron glue.
 */
export class WindowEventDelivery {
  private readonly senders = new Map<number, IpcEventSender>()

  private readonly onAck = (event: IpcMainEvent): void => {
    if (!senderAllowed(event.senderFrame, this.isTrustedSender)) return
    this.senders.get(event.sender.id)?.acknowledge()
  }

  constructor(
    private readonly hub: EventHub,
    private readonly isTrustedSender: (url: string) => boolean
  ) {
    ipcMain.on(EVENT_ACK_CHANNEL, this.onAck)
  }

  /** Starts delivering events to a window created by the app; stops when it is destroyed. */
  attach(contents: WebContents): void {
    const sender = new IpcEventSender({
      // A window that somehow shows a foreign page gets nothing.
      send: (channel, payload) => {
        if (this.isTrustedSender(contents.getURL())) contents.send(channel, payload)
      },
      isDestroyed: () => contents.isDestroyed()
    })
    const id = contents.id
    this.senders.set(id, sender)
    const unsubscribe = this.hub.subscribe((event) => sender.deliver(event))
    contents.once('destroyed', () => {
      unsubscribe()
      sender.close()
      this.senders.delete(id)
    })
  }

  /** Removes the acknowledgement handler. */
  dispose(): void {
    ipcMain.off(EVENT_ACK_CHANNEL, this.onAck)
  }
}
