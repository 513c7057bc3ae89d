import { EVENT_CHANNEL, carriesPreview } from '../../shared/channels'
import type { StepwiseEvent } from '../../shared/contract'
import { LatestWinsOutbox } from '../events/latest-wins-outbox'

/** The part of Electron's `WebContents` that event delivery uses. */
export interface EventTarget {
  send(channel: string, payload: StepwiseEvent): void
  isDestroyed(): boolean
}

/**
 * A preview whose acknowledgement has not come back after this long counts as flushed anyway,
 * so a page that lost an ack (reload mid-run) cannot hold previews back for good.
 */
export const ACK_TIMEOUT_MS = 1000

/**
 * Delivers events to one window. `webContents.send` never blocks and never reports progress,
 * so the preload acknowledges every event that carried a preview (EVENT_ACK_CHANNEL) and this
 * sender holds the next preview until then: a coalescing loop over {@link LatestWinsOutbox}.
 */
export class IpcEventSender {
  private readonly outbox: LatestWinsOutbox
  private previewSentAt: number | null = null

  constructor(
    private readonly target: EventTarget,
    private readonly now: () => number = () => performance.now()
  ) {
    this.outbox = new LatestWinsOutbox({
      send: (event) => {
        if (carriesPreview(event)) this.previewSentAt = this.now()
        this.target.send(EVENT_CHANNEL, event)
      },
      previewFlushed: () =>
        this.previewSentAt === null || this.now() - this.previewSentAt >= ACK_TIMEOUT_MS,
      isOpen: () => !this.target.isDestroyed()
    })
  }

  /** Queues one event for this window. */
  deliver(event: StepwiseEvent): void {
    this.outbox.push(event)
  }

  /** The preload reported that the last preview reached the page. */
  acknowledge(): void {
    this.previewSentAt = null
    this.outbox.flush()
  }

  /** Previews dropped because a newer one arrived first. */
  get superseded(): number {
    return this.outbox.superseded
  }

  /** Stops delivery (window closed). */
  close(): void {
    this.outbox.close()
  }
}
