import type { InferenceEvent } from '../protocol'

/** A listener of inference events. */
export type InferenceListener = (event: InferenceEvent) => void

/** Listeners of inference events, by event type or `'*'` for every event. */
export class InferenceListeners {
  private readonly listeners = new Map<string, Set<InferenceListener>>()

  /** Adds a listener for `key` (an event type, or `'*'`); returns the unsubscribe function. */
  add(key: string, listener: InferenceListener): () => void {
    let set = this.listeners.get(key)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(key, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  /** Sends an event to the listeners of its type, then to those of every event. */
  emit(event: InferenceEvent): void {
    for (const key of [event.type, '*']) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(event)
        } catch (error) {
          // A faulty listener must not stop the others or leave the job unsettled.
          console.error('inference event listener failed:', error)
        }
      }
    }
  }
}
