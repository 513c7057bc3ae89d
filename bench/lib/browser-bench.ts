import type { Browser } from '@playwright/test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { InferenceStatus } from '../../shared/contract'
import type { ApiSocket } from './api-socket'
import type { PageRunSettings } from './app-page'
import {
  clickStopAndTime,
  fillRunForm,
  openAppPage,
  readPaints,
  stepIntervalMs,
  waitForStatus,
  watchNextJob
} from './app-page'
import type { AppServer } from './app-server'
import { lagP99Ms } from './probe-reader'
import { median, percentile } from './stats'

/** How much to run for items 4–7 at one size. */
export interface BrowserPlan {
  width: number
  height: number
  seed: number
  /** Steps of each preview-latency run (all callbacks on, previews every step). */
  previewSteps: number
  previewRuns: number
  /** Steps of a stop run: more than will run before Stop is clicked. */
  stopSteps: number
  /** Stop is clicked once this many steps have been reported. */
  stopAfterSteps: number
  stopRuns: number
  /** Consecutive generations of the memory item, and their steps. */
  memoryGenerations: number
  memorySteps: number
}

/**
 * Where the time from a Stop click goes, ms after the click: main acknowledges (the `stopping`
 * state reaches a client), the loop's last step ends, decoding starts, `stopped` reaches a
 * client (after the decode and the history write), and the page's status line says "stopped".
 * The first and the last two are clocks of this machine's processes; see bench/README.md.
 */
export interface StopPhases {
  stopAcknowledged: number
  lastStepEnded: number
  decodingStarted: number
  stoppedEvent: number
  statusShown: number
}

/** Items 4–7 at one size, with the numbers they come from. */
export interface BrowserResult {
  previewLatencyMs: { p50: number; p95: number }
  stopLatencyMs: { p50: number; stepMs: number }
  mainLoopLagMsP99: number
  rssGrowthPct: number
  details: {
    /** Steps painted on the live canvas / steps reported, over all preview runs. */
    paintedSteps: number
    reportedSteps: number
    previewLatencyMaxMs: number
    /** p99 event-loop lag of the server in each preview run. */
    mainLoopLagMsP99Runs: number[]
    /** The same, with no generation running (the machine's own noise). */
    idleLoopLagMsP99: number
    stopLatenciesMs: number[]
    /** Median step-to-step time of each stop run. */
    stopRunStepMs: number[]
    /** Medians over the stop runs of each phase (see {@link StopPhases}). */
    stopPhasesMs: StopPhases
    memory: {
      generations: number
      /** Which process `rssGrowthPct` is (see bench/README.md). */
      rssGrowthPctOf: 'inference'
      /**
       * How the inference process's RSS was read: after forced garbage collections in that
       * process (the bench's probe), or as it stood (the app's status, where the probe is absent).
       */
      inferenceRssRead: 'after-gc' | 'as-is'
      inferenceRssMiB: {
        afterFirst: number
        afterLast: number
        growthPct: number
        /** The same two readings before the forced collections. */
        beforeGc: { afterFirst: number; afterLast: number } | null
      }
      mainRssMiB: { afterFirst: number; afterLast: number; growthPct: number }
    }
  }
}

const MiB = 2 ** 20

async function generateInPage(
  page: Awaited<ReturnType<typeof openAppPage>>,
  socket: ApiSocket
): Promise<ReturnType<typeof watchNextJob>> {
  const watch = watchNextJob(socket)
  await page.getByTestId('generate-button').click()
  return watch
}

/**
 * Runs items 4–7 at one size in browser mode: the built server (with the event-loop probe), the
 * built renderer in headless Chromium, and a second socket client for step reports and memory.
 */
export async function runBrowserBench(
  browser: Browser,
  server: AppServer,
  socket: ApiSocket,
  modelId: string,
  plan: BrowserPlan,
  log: (line: string) => void
): Promise<BrowserResult> {
  const page = await openAppPage(browser, server, modelId)
  try {
    const run = (steps: number): PageRunSettings => ({
      width: plan.width,
      height: plan.height,
      steps,
      seed: plan.seed
    })

    // Warm-up of the page (the inference process is warm from items 1–3).
    await fillRunForm(page, run(1))
    await (
      await generateInPage(page, socket)
    ).ended
    await waitForStatus(page, 'done')

    await server.probe.take()
    await sleep(1000)
    const idleLoopLagMsP99 = lagP99Ms(await server.probe.take())

    // Items 4 and 6: preview latency of every painted step, event-loop lag during each run.
    await fillRunForm(page, run(plan.previewSteps))
    const latencies: number[] = []
    const lagRuns: number[] = []
    let reportedSteps = 0
    // A run whose previews were all skipped (latest-wins, on a starved machine) gives no sample:
    // up to three more runs, so the figure always rests on painted steps.
    const previewRuns = (r: number): boolean =>
      r < plan.previewRuns || (latencies.length === 0 && r < plan.previewRuns + 3)
    for (let r = 0; previewRuns(r); r++) {
      await server.probe.take()
      const job = await (await generateInPage(page, socket)).ended
      const window = await server.probe.take()
      await waitForStatus(page, 'done')
      const paints = await readPaints(page, job.jobId)
      latencies.push(...paints.map((p) => p.paintedAt - p.endedAt))
      reportedSteps += job.steps.length
      lagRuns.push(lagP99Ms(window))
      log(
        `  preview run ${r + 1}/${plan.previewRuns}: ${paints.length}/${job.steps.length} steps painted, median latency ${median(paints.map((p) => p.paintedAt - p.endedAt)).toFixed(1)} ms, server lag p99 ${lagRuns[r]?.toFixed(1)} ms`
      )
    }

    // Item 5: Stop, clicked once a few steps have run, to "stopped" on the status line.
    await fillRunForm(page, run(plan.stopSteps))
    const stopLatencies: number[] = []
    const stopStepMs: number[] = []
    const stopPhases: StopPhases[] = []
    for (let attempt = 0; stopLatencies.length < plan.stopRuns; attempt++) {
      if (attempt >= 2 * plan.stopRuns) throw new Error('every run ended before Stop was clicked')
      const r = stopLatencies.length
      const watch = await generateInPage(page, socket)
      while (watch.stepsSoFar() < plan.stopAfterSteps) await sleep(2)
      // The page shows this run (not the previous one's "done") before Stop is clicked.
      await waitForStatus(page, 'denoising')
      const timing = await clickStopAndTime(page)
      const job = await watch.ended
      if (timing === null) {
        log('  stop run: the run ended before Stop was clicked; again')
        continue
      }
      stopLatencies.push(timing.stoppedAt - timing.clickAt)
      stopStepMs.push(stepIntervalMs(job.steps))
      const since = (t: number | undefined): number =>
        t === undefined ? Number.NaN : t - timing.clickAt
      const phases: StopPhases = {
        stopAcknowledged: since(job.stateAt.stopping),
        lastStepEnded: since(Math.max(...job.steps.map((s) => s.endedAt))),
        decodingStarted: since(job.stateAt.decoding),
        stoppedEvent: since(job.stateAt.stopped),
        statusShown: since(timing.stoppedAt)
      }
      stopPhases.push(phases)
      const shown = Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(0)}`)
      log(
        `  stop run ${r + 1}/${plan.stopRuns}: step ${stopStepMs[r]?.toFixed(1)} ms; ms after the click: ${shown.join(', ')}`
      )
    }

    // Item 7: resident memory after the first and the last of N consecutive generations.
    await fillRunForm(page, run(plan.memorySteps))
    // The inference process's RSS swings by hundreds of MiB with V8's collection timing; read it
    // after forced collections in that process (bench/README.md, item 7).
    type Reading = { inference: number; beforeGc: number | null; main: number }
    const rss = async (): Promise<Reading> => {
      await sleep(200)
      const probe = server.inferenceProbe()
      const window = await server.probe.take()
      if (probe !== null) {
        const reading = await probe.take()
        return {
          inference: reading.rssBytes,
          beforeGc: reading.rssBeforeGcBytes ?? null,
          main: window.rssBytes
        }
      }
      const status = await socket.call<InferenceStatus>('inferenceStatus')
      return { inference: status.rssBytes ?? Number.NaN, beforeGc: null, main: window.rssBytes }
    }
    let first: Reading | null = null
    for (let g = 0; g < plan.memoryGenerations; g++) {
      await (
        await generateInPage(page, socket)
      ).ended
      await waitForStatus(page, 'done')
      if (g === 0) first = await rss()
    }
    const last = await rss()
    const growth = (a: number, b: number): number => (100 * (b - a)) / a
    const firstRss = first ?? last
    const gcNote = last.beforeGc === null ? '' : ' after forced GC'
    log(
      `  memory: inference${gcNote} ${(firstRss.inference / MiB).toFixed(0)} → ${(last.inference / MiB).toFixed(0)} MiB, main ${(firstRss.main / MiB).toFixed(0)} → ${(last.main / MiB).toFixed(0)} MiB over ${plan.memoryGenerations} generations`
    )

    return {
      previewLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
      stopLatencyMs: { p50: median(stopLatencies), stepMs: median(stopStepMs) },
      mainLoopLagMsP99: median(lagRuns),
      rssGrowthPct: growth(firstRss.inference, last.inference),
      details: {
        paintedSteps: latencies.length,
        reportedSteps,
        previewLatencyMaxMs: Math.max(...latencies),
        mainLoopLagMsP99Runs: lagRuns,
        idleLoopLagMsP99,
        stopLatenciesMs: stopLatencies,
        stopRunStepMs: stopStepMs,
        stopPhasesMs: {
          stopAcknowledged: median(stopPhases.map((p) => p.stopAcknowledged)),
          lastStepEnded: median(stopPhases.map((p) => p.lastStepEnded)),
          decodingStarted: median(stopPhases.map((p) => p.decodingStarted)),
          stoppedEvent: median(stopPhases.map((p) => p.stoppedEvent)),
          statusShown: median(stopPhases.map((p) => p.statusShown))
        },
        memory: {
          generations: plan.memoryGenerations,
          rssGrowthPctOf: 'inference',
          inferenceRssRead: last.beforeGc === null ? 'as-is' : 'after-gc',
          inferenceRssMiB: {
            afterFirst: firstRss.inference / MiB,
            afterLast: last.inference / MiB,
            growthPct: growth(firstRss.inference, last.inference),
            beforeGc:
              firstRss.beforeGc === null || last.beforeGc === null
                ? null
                : { afterFirst: firstRss.beforeGc / MiB, afterLast: last.beforeGc / MiB }
          },
          mainRssMiB: {
            afterFirst: firstRss.main / MiB,
            afterLast: last.main / MiB,
            growthPct: growth(firstRss.main, last.main)
          }
        }
      }
    }
  } finally {
    await page.close()
  }
}
