import type { FrameCanceller, FrameScheduler } from './latest-wins-painter'

const browserSchedule: FrameScheduler = (callback) => requestAnimationFrame(() => callback())
const browserCancel: FrameCanceller = (handle) => cancelAnimationFrame(handle)

/**
 * Collects items and hands them over together once per animation frame. Unlike previews, step
 * records must all arrive (one gallery item per step), but a fast model finishes several steps per
 * frame and one store update per step would re-render the gallery for each of them.
 */
export class FrameBatcher<T> {
  private items: T[] = []
  private handle: number | null = null

  constructor(
    private readonly deliver: (items: T[]) => void,
    private readonly schedule: FrameScheduler = browserSchedule,
    private readonly cancel: FrameCanceller = browserCancel
  ) {}

  /** Queues an item for the next delivery. */
  push(item: T): void {
    this.items.push(item)
    if (this.handle === null) this.handle = this.schedule(() => this.flush())
  }

  /** Delivers what is waiting now, e.g. before a job's final event so no step arrives after it. */
  flush(): void {
    if (this.handle !== null) this.cancel(this.handle)
    this.handle = null
    if (this.items.length === 0) return
    const items = this.items
    this.items = []
    this.deliver(items)
  }

  /** Drops waiting items without delivering them. */
  clear(): void {
    if (this.handle !== null) this.cancel(this.handle)
    this.handle = null
    this.items = []
  }
}
