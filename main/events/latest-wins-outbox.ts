import { carriesPreview } from '../../shared/channels'
import type { StepwiseEvent } from '../../shared/contract'

/** Where an outbox hands its events: one connection (a window or a WebSocket). */
export interface EventTransport {
  /** Sends one event now. */
  send(event: StepwiseEvent): void
  /**
   * Has the previously sent preview left the building? (WebSocket: nothing buffered; Electron:
   * the preload acknowledged it.) Events with previews wait until this is true.
   */
  previewFlushed(): boolean
  /** False once the connection is gone; the outbox then drops everything. */
  isOpen(): boolean
}

/** How often a held preview re-checks its transport when nothing else wakes it. */
export const OUTBOX_POLL_MS = 8

/**
 * Per-connection event delivery, in order, with previews latest-wins: events go out as soon as
 * they arrive, except that an event carrying a preview waits until the connection has flushed
 * the previous preview. If a newer preview arrives while one waits, the waiting event loses its
 * pixels (its step metadata still goes out, in order, at once) and the newer one waits instead.
 * So at most one preview is ever queued per connection, whatever the connection's speed.
 */
export class LatestWinsOutbox {
  private readonly queue: StepwiseEvent[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  /** Previews replaced by newer ones before they could be sent (for tests and diagnostics). */
  superseded = 0

  constructor(private readonly transport: EventTransport) {}

  /** Queues `event` and sends whatever can go now. */
  push(event: StepwiseEvent): void {
    if (this.closed) return
    if (carriesPreview(event)) {
      for (let i = 0; i < this.queue.length; i++) {
        const waiting = this.queue[i]
        if (waiting?.type === 'job:step' && waiting.preview !== null) {
          this.queue[i] = { ...waiting, preview: null }
          this.superseded++
        }
      }
    }
    this.queue.push(event)
    this.flush()
  }

  /** Sends queued events until one must wait; call when the transport may have drained. */
  flush(): void {
    if (this.closed) return
    if (!this.transport.isOpen()) {
      this.close()
      return
    }
    while (this.queue.length > 0) {
      const head = this.queue[0] as StepwiseEvent
      if (carriesPreview(head) && !this.transport.previewFlushed()) {
        this.schedule()
        return
      }
      this.queue.shift()
      this.transport.send(head)
    }
  }

  /** Events waiting to be sent. */
  get pending(): number {
    return this.queue.length
  }

  /** Drops everything and stops polling (the connection closed). */
  close(): void {
    this.closed = true
    this.queue.length = 0
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(): void {
    if (this.timer !== null) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush()
    }, OUTBOX_POLL_MS)
  }
}
