import type { Browser, Page } from '@playwright/test'
import { fillForm } from '../../e2e/fixtures/app-page'
import type { JobState, JobStepEvent, StepwiseEvent } from '../../shared/contract'
import { isTerminalJobState } from '../../shared/contract'
import { PAINT_MARK_PREFIX, parsePaintMarkName } from '../../shared/paint-marks'
import type { ApiSocket } from './api-socket'
import type { AppServer } from './app-server'
import { BENCH_PROMPT, BENCH_SCHEDULER } from './run-config'
import { median } from './stats'

/** One painted step as the page recorded it. */
export interface PaintRecord {
  jobId: string
  index: number
  /** When the inference process ended the step (epoch ms). */
  endedAt: number
  /** When the renderer put its pixels on the live canvas (epoch ms, the page's clock). */
  paintedAt: number
}

/** One job run through the page, as the second socket saw it. */
export interface PageJob {
  jobId: string
  state: JobState
  steps: JobStepEvent[]
  /** When this client received each state change, and `stopping`, (epoch ms, this clock). */
  stateAt: Partial<Record<JobState | 'stopping', number>>
}

// `performance` here is the global one on purpose: functions passed to page.evaluate are
// serialised into the page, where an imported binding would not exist.

/** The form settings of a benchmark run in the page (the runs of app-runs.ts, in the UI). */
export interface PageRunSettings {
  width: number
  height: number
  steps: number
  seed: number
}

/** Opens the app in a new page and picks the model by its id (its folder name). */
export async function openAppPage(
  browser: Browser,
  server: AppServer,
  modelId: string
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.goto(server.url)
  const select = page.getByTestId('model-select')
  await select.locator(`option[value="${modelId}"]`).waitFor({ state: 'attached', timeout: 60_000 })
  await select.selectOption(modelId)
  return page
}

/** Fills the form for a run: the bench prompt and scheduler, guidance 7.5, previews every step, CPU. */
export async function fillRunForm(page: Page, run: PageRunSettings): Promise<void> {
  await fillForm(page, {
    prompt: BENCH_PROMPT,
    negativePrompt: '',
    steps: String(run.steps),
    guidance: '7.5',
    seed: String(run.seed),
    width: String(run.width),
    height: String(run.height),
    scheduler: BENCH_SCHEDULER,
    cutoffPercent: 100,
    keepPreviews: false
  })
  await page.getByTestId('preview-every-input').fill('1')
  // Linear previews, as the API runs (app-runs.ts); preview-methods-bench.ts picks others.
  await page.getByTestId('preview-method-select').selectOption('linear')
  // The same provider as the API runs of items 1–3, so the inference process keeps its loaded
  // pipeline (it is cached per model and provider) instead of loading it again.
  await page.getByTestId('provider-select').selectOption('cpu')
}

/**
 * Watches the socket for the next job that starts after this call and collects its steps;
 * `started` resolves with its id, `ended` when it reaches a terminal state.
 */
export function watchNextJob(socket: ApiSocket): {
  started: Promise<string>
  ended: Promise<PageJob>
  stepsSoFar: () => number
} {
  let job: PageJob | null = null
  let onStart: (id: string) => void = () => undefined
  let onEnd: (job: PageJob) => void = () => undefined
  const started = new Promise<string>((resolve) => (onStart = resolve))
  const ended = new Promise<PageJob>((resolve) => (onEnd = resolve))
  const unsubscribe = socket.onEvent((event: StepwiseEvent) => {
    const now = performance.timeOrigin + performance.now()
    if (event.type === 'job:state') {
      if (job === null && !isTerminalJobState(event.state)) {
        job = { jobId: event.jobId, state: event.state, steps: [], stateAt: {} }
        onStart(event.jobId)
      }
      if (job !== null && event.jobId === job.jobId) {
        job.state = event.state
        job.stateAt[event.state] ??= now
        if (event.stopping) job.stateAt.stopping ??= now
        if (isTerminalJobState(event.state)) {
          unsubscribe()
          onEnd(job)
        }
      }
    } else if (event.type === 'job:step' && job !== null && event.jobId === job.jobId) {
      job.steps.push({ ...event, preview: null })
    }
  })
  return { started, ended, stepsSoFar: () => job?.steps.length ?? 0 }
}

/** Waits until the page's status line shows `word` (the page has applied the job's end). */
export async function waitForStatus(page: Page, word: string, timeoutMs = 600_000): Promise<void> {
  await page.waitForFunction(
    (w) => document.querySelector('[data-testid="status"]')?.textContent?.includes(w) === true,
    word,
    { timeout: timeoutMs, polling: 20 }
  )
}

/** The paint marks the renderer recorded for `jobId` (see shared/paint-marks.ts). */
export async function readPaints(page: Page, jobId: string): Promise<PaintRecord[]> {
  const raw = await page.evaluate((prefix) => {
    return {
      timeOrigin: performance.timeOrigin,
      marks: performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith(prefix))
        .map((m) => ({
          name: m.name,
          startTime: m.startTime,
          detail: (m as PerformanceMark).detail as unknown
        }))
    }
  }, PAINT_MARK_PREFIX)
  const out: PaintRecord[] = []
  for (const mark of raw.marks) {
    const parsed = parsePaintMarkName(mark.name)
    const detail = mark.detail as { endedAt?: unknown } | null
    if (parsed === null || parsed.jobId !== jobId || typeof detail?.endedAt !== 'number') continue
    out.push({
      jobId,
      index: parsed.index,
      endedAt: detail.endedAt,
      paintedAt: raw.timeOrigin + mark.startTime
    })
  }
  return out
}

/**
 * How far the page's clock (`performance.timeOrigin + performance.now()`) is from this Node
 * process's, from the round trip with the smallest delay of 15: offset ± half that round trip. Both
 * clocks are the system clock at process start plus a monotonic clock, so this should be well
 * under a millisecond; it is measured so that the preview latencies can be trusted.
 */
export async function clockOffset(
  page: Page
): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  let best = { offsetMs: Number.NaN, uncertaintyMs: Number.POSITIVE_INFINITY }
  for (let i = 0; i < 15; i++) {
    const t0 = performance.timeOrigin + performance.now()
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now())
    const t1 = performance.timeOrigin + performance.now()
    const half = (t1 - t0) / 2
    if (half < best.uncertaintyMs) best = { offsetMs: pageNow - (t0 + half), uncertaintyMs: half }
  }
  return best
}

/** A Stop click and the status line saying "stopped", epoch ms on the page's clock. */
export interface StopTiming {
  clickAt: number
  stoppedAt: number
}

/**
 * Clicks Stop with the page's own clock on both ends: the click event's timestamp, and the
 * moment the status line first says "stopped" (a MutationObserver, so the DOM change itself is
 * timed, not a poll). Null when the run ended by itself before the click landed.
 */
export async function clickStopAndTime(
  page: Page,
  timeoutMs = 600_000
): Promise<StopTiming | null> {
  await page.evaluate(() => {
    const status = document.querySelector('[data-testid="status"]')
    const button = document.querySelector('[data-testid="stop-button"]')
    if (status === null || button === null) throw new Error('no status line or Stop button')
    const record: { clickAt: number | null; stoppedAt: number | null } = {
      clickAt: null,
      stoppedAt: null
    }
    ;(globalThis as { __stepwiseBenchStop?: typeof record }).__stepwiseBenchStop = record
    const observer = new MutationObserver(() => {
      if (record.stoppedAt === null && status.textContent?.includes('stopped') === true) {
        record.stoppedAt = performance.now()
        observer.disconnect()
      }
    })
    observer.observe(status, { subtree: true, childList: true, characterData: true })
    button.addEventListener('click', (event) => (record.clickAt = event.timeStamp), {
      capture: true,
      once: true
    })
  })
  try {
    await page.getByTestId('stop-button').click({ timeout: 5000 })
  } catch {
    // The run ended (the button was disabled) before the click could land.
    return null
  }
  const handle = await page.waitForFunction(
    () => {
      const r = (
        globalThis as { __stepwiseBenchStop?: { clickAt: number | null; stoppedAt: number | null } }
      ).__stepwiseBenchStop
      const status = document.querySelector('[data-testid="status"]')?.textContent ?? ''
      // The run ended on its own before the click landed: no stop to time.
      if (r?.stoppedAt == null && status.includes('done')) return { missed: true }
      return r?.clickAt != null && r.stoppedAt != null
        ? {
            clickAt: performance.timeOrigin + r.clickAt,
            stoppedAt: performance.timeOrigin + r.stoppedAt
          }
        : null
    },
    undefined,
    { timeout: timeoutMs, polling: 10 }
  )
  const value = (await handle.jsonValue()) as StopTiming | { missed: true }
  return 'missed' in value ? null : value
}

/** Median time between the ends of consecutive steps: one full step as the app runs it. */
export function stepIntervalMs(steps: readonly { index: number; endedAt: number }[]): number {
  const sorted = [...steps].sort((a, b) => a.index - b.index)
  const gaps: number[] = []
  for (let k = 1; k < sorted.length; k++) {
    gaps.push((sorted[k]?.endedAt as number) - (sorted[k - 1]?.endedAt as number))
  }
  return median(gaps)
}
