import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** One window of the server's event-loop probe (see event-loop-probe.mjs). */
export interface ProbeWindow {
  seq: number
  pid: number
  rssBytes: number
  resolutionMs: number
  samples: number
  intervalP50Ms: number | null
  intervalP99Ms: number | null
  intervalMaxMs: number | null
  /** The inference process's reading: RSS before its forced collections, and their number. */
  rssBeforeGcBytes?: number
  gcRounds?: number
}

/** The event-loop lag (ms beyond the probe's timer interval) at the window's p99. */
export function lagP99Ms(window: ProbeWindow): number {
  if (window.intervalP99Ms === null) return Number.NaN
  return Math.max(0, window.intervalP99Ms - window.resolutionMs)
}

/**
 * Talks to the probe inside one process (the server, or the inference process it forked):
 * SIGUSR2 in, a JSON file out.
 */
export class ProbeReader {
  private seq = 0

  constructor(
    private readonly dir: string,
    private readonly pid: number
  ) {}

  /** Ends the current window and returns it; the next window starts now. */
  async take(timeoutMs = 10_000): Promise<ProbeWindow> {
    const want = this.seq + 1
    process.kill(this.pid, 'SIGUSR2')
    const file = join(this.dir, `probe-${this.pid}.json`)
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (existsSync(file)) {
        const window = JSON.parse(readFileSync(file, 'utf8')) as ProbeWindow
        if (window.seq >= want) {
          this.seq = window.seq
          return window
        }
      }
      await sleep(5)
    }
    throw new Error(`the probe in process ${this.pid} did not answer within ${timeoutMs} ms`)
  }
}
