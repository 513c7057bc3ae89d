import { dirname, basename } from 'node:path'
import type { Page } from '@playwright/test'
import { launchChromium } from '../../e2e/fixtures/chromium'
import type { JobStepEvent, ModelSummary, StepwiseEvent } from '../../shared/contract'
import { ApiSocket } from './api-socket'
import { paramsFor } from './app-runs'
import { fillRunForm, openAppPage, readPaints, waitForStatus, watchNextJob } from './app-page'
import type { BenchMode, BenchOptions } from './bench-options'
import { startAppServer } from './app-server'
import {
  previewFidelityTable,
  runPreviewFidelity,
  type PreviewFidelityResult
} from './preview-fidelity'
import { median, percentile, round } from './stats'

/**
 * What each preview method costs (issue 16): per step, at the model's native size and at
 * 512×512, and how long its previews take to reach the live canvas. Runs against the app as it
 * ships (a browser-mode server of its own, its inference process, the built renderer in headless
 * Chromium), with the same settings as the other items (EulerDiscreteScheduler, guidance 7.5, a
 * preview every step, CPU). Fidelity (how closely previews show the final image) is measured on
 * the shipped model in this process first (preview-fidelity.ts). See bench/README.md, "Preview
 * methods".
 */

/** One method at one size. */
export interface PreviewMethodRow {
  /** `linear`, `tiny` or `vae` (the VAE every step). */
  method: string
  /** Size of the previews it made (latent size for linear, full size for tiny and vae). */
  previewSize: { width: number; height: number }
  /** Per-step preview cost as the inference process measured it (decoder run + conversion). */
  previewMs: { p50: number; p95: number; min: number; max: number }
  /** The median preview cost of each API run: the spread between runs on a shared machine. */
  previewMsRuns: number[]
  /** Median step wall time with this method (UNet, guidance, scheduler, callbacks, preview). */
  stepMs: number
  /** previewMs p50 ÷ the median step without its preview (ms − previewMs): what it adds. */
  addedFraction: number
  /** Median step with this method ÷ median step with `linear` in the same run order, − 1. */
  stepVsLinear: number
  /**
   * Step end in the inference process → the step (with its preview) received by the bench's own
   * WebSocket client: the inference process → main → WebSocket part of the latency (ms).
   */
  deliveryMs: { p50: number; p95: number }
  /** Step end in the inference process → pixels on the live canvas, over painted steps (ms). */
  previewLatencyMs: { p50: number; p95: number; max: number }
  paintedSteps: number
  reportedSteps: number
}

/** Both sizes, fidelity, and the two targets for `tiny`. */
export interface PreviewMethodsResult {
  sizes: Array<{ width: number; height: number; methods: PreviewMethodRow[] }>
  /** How closely each method's previews show the final image; null on other models than the shipped one. */
  fidelity: PreviewFidelityResult | null
  targets: {
    /** `tiny` adds < 5 % to a 512×512 step (addedFraction). */
    tinyAddsUnder5PctAt512: boolean | null
    /** `tiny` previews reach the canvas with p95 < 33 ms, at both sizes. */
    tinyLatencyP95Under33Ms: boolean | null
    /**
     * On the shipped model, "a green square on a white background" previews green on white from
     * the middle step on with `tiny`, in every seed (the done-when); null on other models.
     */
    tinyGreenOnWhiteFromMiddle: boolean | null
  }
  notes: string[]
}

interface Plan {
  /** Steps of each method's unmeasured first run (decoder sessions, first-run allocations). */
  warmupSteps: number
  steps: number
  /** API runs per method (rotated order), after one warm-up run per method. */
  reps: number
  /** Page runs per method for the latency. */
  pageRuns: number
}

const PLANS: Record<BenchMode, { native: Plan; at512: Plan }> = {
  full: {
    native: { warmupSteps: 4, steps: 20, reps: 5, pageRuns: 3 },
    at512: { warmupSteps: 2, steps: 6, reps: 3, pageRuns: 2 }
  },
  quick: {
    native: { warmupSteps: 2, steps: 10, reps: 2, pageRuns: 1 },
    at512: { warmupSteps: 1, steps: 3, reps: 1, pageRuns: 1 }
  },
  smoke: {
    native: { warmupSteps: 0, steps: 3, reps: 1, pageRuns: 1 },
    at512: { warmupSteps: 0, steps: 1, reps: 1, pageRuns: 1 }
  }
}

const SEED = 4321

interface StepOfRun {
  ms: number
  /** Received by this client − the step's end, ms; null when the event carried no pixels. */
  deliveryMs: number | null
  previewMs: number | null
  previewMethod: string | null
  width: number | null
  height: number | null
}

/** One generation through the API with `method`; every step's report (pixels dropped). */
async function runOnce(
  socket: ApiSocket,
  modelId: string,
  size: { width: number; height: number },
  steps: number,
  method: string
): Promise<StepOfRun[]> {
  const out: StepOfRun[] = []
  const early: StepwiseEvent[] = []
  let jobId: string | null = null
  let finish: (error: string | null) => void = () => undefined
  const finished = new Promise<string | null>((resolve) => (finish = resolve))
  const handle = (event: StepwiseEvent): void => {
    if (!('jobId' in event) || event.jobId !== jobId) return
    if (event.type === 'job:step') {
      const e: JobStepEvent = event
      const receivedAt = performance.timeOrigin + performance.now()
      out.push({
        ms: e.ms,
        deliveryMs: e.preview === null ? null : receivedAt - e.endedAt,
        previewMs: e.previewMs ?? null,
        previewMethod: e.previewMethod ?? null,
        width: e.preview?.width ?? null,
        height: e.preview?.height ?? null
      })
    } else if (event.type === 'job:done') finish(null)
    else if (
      event.type === 'job:state' &&
      (event.state === 'failed' || event.state === 'cancelled')
    )
      finish(event.message ?? event.state)
  }
  const off = socket.onEvent((event) => (jobId === null ? early.push(event) : handle(event)))
  try {
    const params = {
      ...paramsFor(modelId, {
        ...size,
        steps,
        guidanceScale: 7.5,
        cutoffRatio: null,
        seed: SEED
      }),
      previewMethod: method
    }
    jobId = (await socket.call<{ jobId: string }>('generate', params)).jobId
    for (const event of early.splice(0)) handle(event)
    const error = await finished
    if (error !== null) throw new Error(`${method} run failed: ${error}`)
    return out
  } finally {
    off()
  }
}

async function pageLatency(
  page: Page,
  socket: ApiSocket,
  size: { width: number; height: number },
  plan: Plan,
  method: string
): Promise<{ latencies: number[]; reported: number }> {
  await fillRunForm(page, { ...size, steps: plan.steps, seed: SEED })
  await page.getByTestId('preview-method-select').selectOption(method)
  const latencies: number[] = []
  let reported = 0
  for (let r = 0; r < plan.pageRuns; r++) {
    const watch = watchNextJob(socket)
    await page.getByTestId('generate-button').click()
    const job = await watch.ended
    await waitForStatus(page, 'done')
    const paints = await readPaints(page, job.jobId)
    latencies.push(...paints.map((p) => p.paintedAt - p.endedAt))
    reported += job.steps.length
  }
  return { latencies, reported }
}

/**
 * Measures every preview method the model offers at its native size and at 512×512; see the
 * file comment. `log` gets progress lines.
 */
export async function runPreviewMethodsBench(
  options: BenchOptions,
  log: (line: string) => void
): Promise<PreviewMethodsResult> {
  const modelId = basename(options.modelDir)
  // In this process and before the app's server starts, so neither measurement waits on the other.
  const fidelity = await runPreviewFidelity(options.modelDir, options.mode, log)
  const [server, browser] = await Promise.all([
    startAppServer(dirname(options.modelDir)),
    launchChromium()
  ])
  const socket = await ApiSocket.connect(server.origin, server.token)
  const sizes: PreviewMethodsResult['sizes'] = []
  try {
    const models = await socket.call<ModelSummary[]>('listModels')
    const model = models.find((m) => m.id === modelId)
    if (model === undefined) throw new Error(`the bench server does not list ${modelId}`)
    const methods = model.previews.methods.map((m) => m as string)
    const plans = PLANS[options.mode]
    const page = await openAppPage(browser, server, modelId)
    try {
      for (const [size, plan] of [
        [{ width: model.defaults.width, height: model.defaults.height }, plans.native],
        [{ width: 512, height: 512 }, plans.at512]
      ] as const) {
        log(`preview methods at ${size.width}×${size.height}: ${methods.join(', ')}`)
        const runs = new Map<string, StepOfRun[][]>(methods.map((m) => [m, []]))
        if (plan.warmupSteps > 0) {
          for (const method of methods)
            await runOnce(socket, modelId, size, plan.warmupSteps, method)
        }
        for (let r = 0; r < plan.reps; r++) {
          // Rotated order, so a method is not always the one run after (or before) another.
          const order = methods.map((_, i) => methods[(i + r) % methods.length] as string)
          for (const method of order) {
            runs.get(method)?.push(await runOnce(socket, modelId, size, plan.steps, method))
          }
        }
        const linearStep = median((runs.get('linear') ?? []).flat().map((s) => s.ms))
        const rows: PreviewMethodRow[] = []
        for (const method of methods) {
          const all = (runs.get(method) ?? []).map((steps) =>
            steps.filter((s) => s.previewMethod === method && s.previewMs !== null)
          )
          const flat = all.flat()
          const costs = flat.map((s) => s.previewMs as number)
          const stepMs = median(flat.map((s) => s.ms))
          const delivery = flat.flatMap((s) => (s.deliveryMs === null ? [] : [s.deliveryMs]))
          const without = median(flat.map((s) => s.ms - (s.previewMs as number)))
          const sized = flat.find((s) => s.width !== null)
          const { latencies, reported } = await pageLatency(page, socket, size, plan, method)
          const row: PreviewMethodRow = {
            method,
            previewSize: { width: sized?.width ?? 0, height: sized?.height ?? 0 },
            previewMs: {
              p50: round(median(costs)),
              p95: round(percentile(costs, 95)),
              min: round(Math.min(...costs)),
              max: round(Math.max(...costs))
            },
            previewMsRuns: all.map((steps) =>
              round(median(steps.map((s) => s.previewMs as number)))
            ),
            stepMs: round(stepMs),
            addedFraction: round(median(costs) / without, 4),
            stepVsLinear: round(stepMs / linearStep - 1, 4),
            deliveryMs: {
              p50: round(percentile(delivery, 50)),
              p95: round(percentile(delivery, 95))
            },
            previewLatencyMs: {
              p50: round(percentile(latencies, 50)),
              p95: round(percentile(latencies, 95)),
              max: round(Math.max(...latencies))
            },
            paintedSteps: latencies.length,
            reportedSteps: reported
          }
          rows.push(row)
          log(
            `  ${method}: preview ${row.previewMs.p50.toFixed(2)} ms (runs ${row.previewMsRuns.join(' / ')}) = ${(100 * row.addedFraction).toFixed(1)} % of a ${without.toFixed(1)} ms step; delivery p50 ${row.deliveryMs.p50.toFixed(1)} ms; latency p50 ${row.previewLatencyMs.p50.toFixed(1)} p95 ${row.previewLatencyMs.p95.toFixed(1)} ms (${latencies.length}/${reported} painted)`
          )
        }
        sizes.push({ ...size, methods: rows })
      }
    } finally {
      await page.close()
    }
  } finally {
    socket.close()
    await browser.close()
    await server.stop()
  }
  const tiny = sizes.map((s) => s.methods.find((m) => m.method === 'tiny'))
  const tiny512 = tiny[1]
  const tinyFidelity = fidelity?.methods.find((m) => m.method === 'tiny')
  return {
    sizes,
    fidelity,
    targets: {
      tinyAddsUnder5PctAt512: tiny512 === undefined ? null : tiny512.addedFraction < 0.05,
      tinyLatencyP95Under33Ms: tiny.every((t) => t === undefined)
        ? null
        : tiny.every((t) => t === undefined || t.previewLatencyMs.p95 < 33),
      tinyGreenOnWhiteFromMiddle:
        fidelity === null || tinyFidelity === undefined
          ? null
          : tinyFidelity.greenOnWhiteFromStep.every(
              (s) => s !== null && s <= Math.floor(fidelity.steps / 2)
            )
    },
    notes: [
      'EulerDiscreteScheduler, guidance 7.5 (UNet batch 2), a preview every step, CPU execution provider',
      'previewMs is measured in the inference process around the decoder run and the conversion to RGBA; addedFraction divides its median by the median step without it',
      options.mode === 'full' ? 'full run' : `${options.mode} run: few steps, not a measurement`
    ]
  }
}

/** A Markdown table of the rows (printed by `npm run bench`, kept in bench/README.md). */
export function previewMethodsTable(result: PreviewMethodsResult): string {
  const lines = [
    '| size | method | preview | preview cost p50 (runs) | adds to a step | step | to main + WebSocket p50 / p95 | to the canvas p50 / p95 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const s of result.sizes) {
    for (const r of s.methods) {
      lines.push(
        `| ${s.width}×${s.height} | \`${r.method}\` | ${r.previewSize.width}×${r.previewSize.height} | ${r.previewMs.p50.toFixed(2)} ms (${r.previewMsRuns.map((v) => v.toFixed(2)).join(' / ')}) | ${(100 * r.addedFraction).toFixed(1)} % | ${r.stepMs.toFixed(1)} ms | ${r.deliveryMs.p50.toFixed(1)} / ${r.deliveryMs.p95.toFixed(1)} ms | ${r.previewLatencyMs.p50.toFixed(1)} / ${r.previewLatencyMs.p95.toFixed(1)} ms |`
      )
    }
  }
  if (result.fidelity !== null) {
    lines.push(
      '',
      `Fidelity (${result.fidelity.prompts} prompts × ${result.fidelity.seeds} seeds at the model's defaults; mean absolute difference to the final image per step, 0–255 levels; final images read right: ${(100 * result.fidelity.finalColourAccuracy).toFixed(0)} %):`,
      '',
      previewFidelityTable(result.fidelity)
    )
  }
  return lines.join('\n')
}
