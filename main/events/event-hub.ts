import type { StepwiseEvent } from '../../shared/contract'

/** A function that receives main's events. */
export type EventListener = (event: StepwiseEvent) => void

/**
 * Fans main's events out to every connection (Electron windows, WebSockets, tests). A listener
 * that throws is reported and skipped, so one broken connection cannot starve the others or
 * break the job that emitted the event.
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>()

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Delivers `event` to every current listener, in subscription order. */
  emit(event: StepwiseEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.onListenerError(error)
      }
    }
  }

  /** How many listeners are subscribed (for leak checks). */
  get size(): number {
    return this.listeners.size
  }
}
