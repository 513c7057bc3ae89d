/** Schedules a callback for the next frame; returns a handle for {@link FrameCanceller}. */
export type FrameScheduler = (callback: () => void) => number

/** Cancels a callback scheduled by a {@link FrameScheduler}. */
export type FrameCanceller = (handle: number) => void

const browserSchedule: FrameScheduler = (callback) => requestAnimationFrame(() => callback())
const browserCancel: FrameCanceller = (handle) => cancelAnimationFrame(handle)

/**
 * Paints only the newest frame, at most once per animation frame. Frames that arrive while one is
 * waiting replace it instead of queueing behind it, so a slow page never falls behind the engine:
 * it shows the latest step, late steps are simply skipped.
 */
export class LatestWinsPainter<T> {
  private pending: { frame: T } | null = null
  private handle: number | null = null
  private submittedCount = 0
  private paintedCount = 0

  constructor(
    private readonly paint: (frame: T) => void,
    private readonly schedule: FrameScheduler = browserSchedule,
    private readonly cancel: FrameCanceller = browserCancel
  ) {}

  /** Offers a frame; it replaces any frame still waiting for its paint. */
  submit(frame: T): void {
    this.submittedCount++
    this.pending = { frame }
    if (this.handle === null) this.handle = this.schedule(() => this.flush())
  }

  /** Frames offered and frames actually painted (the difference was superseded). */
  get stats(): { submitted: number; painted: number } {
    return { submitted: this.submittedCount, painted: this.paintedCount }
  }

  /** Drops the waiting frame and the scheduled paint (e.g. when the canvas unmounts). */
  dispose(): void {
    if (this.handle !== null) this.cancel(this.handle)
    this.handle = null
    this.pending = null
  }

  private flush(): void {
    this.handle = null
    const pending = this.pending
    this.pending = null
    if (pending === null) return
    this.paintedCount++
    this.paint(pending.frame)
  }
}
