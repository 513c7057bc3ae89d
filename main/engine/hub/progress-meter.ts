import { performance } from 'node:perf_hooks'

/** Overall byte counts and the transfer rate, for progress events. */
export interface ProgressTotals {
  /** Bytes on disk and verified or in progress, including what earlier runs fetched. */
  doneBytes: number
  totalBytes: number
  /** Bytes per second over the last few seconds (0 until something arrives). */
  bytesPerSecond: number
  /** Seconds left at the current rate; null while the rate is unknown. */
  etaSeconds: number | null
}

const WINDOW_MS = 5000
const SAMPLE_MS = 100

/**
 * Counts bytes and measures the rate over a sliding window, so the ETA follows the connection's
 * current speed rather than the average since the start (which a resume or a stall would skew).
 * Bytes already on disk when the download started count as done but not towards the rate.
 */
export class ProgressMeter {
  private done: number
  private readonly samples: { t: number; bytes: number }[] = []
  private received = 0

  constructor(
    readonly totalBytes: number,
    alreadyDone: number,
    private readonly now: () => number = () => performance.now()
  ) {
    this.done = alreadyDone
    this.samples.push({ t: this.now(), bytes: 0 })
  }

  /** Bytes that arrived over the network. */
  add(bytes: number): void {
    this.done += bytes
    this.received += bytes
    const t = this.now()
    const last = this.samples[this.samples.length - 1]
    if (last !== undefined && t - last.t < SAMPLE_MS) last.bytes = this.received
    else this.samples.push({ t, bytes: this.received })
    while (this.samples.length > 2 && t - (this.samples[0]?.t ?? t) > WINDOW_MS)
      this.samples.shift()
  }

  /** Bytes that arrived over the network since this meter was made. */
  get receivedBytes(): number {
    return this.received
  }

  /** Bytes found on disk (a partial or finished file from an earlier run). */
  credit(bytes: number): void {
    this.done += bytes
  }

  /** Bytes thrown away (a file restarted from zero, or deleted after a failed check). */
  discard(bytes: number): void {
    this.done = Math.max(0, this.done - bytes)
  }

  /** The current totals. */
  totals(): ProgressTotals {
    const first = this.samples[0]
    const t = this.now()
    let bytesPerSecond = 0
    if (first !== undefined && t - first.t > 0) {
      bytesPerSecond = ((this.received - first.bytes) * 1000) / (t - first.t)
    }
    const left = Math.max(0, this.totalBytes - this.done)
    return {
      doneBytes: this.done,
      totalBytes: this.totalBytes,
      bytesPerSecond,
      etaSeconds: left === 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : null
    }
  }
}
