import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GraphPassReport, SessionSettings } from '../../main/engine'
import { machineInfo, loadAverage, type MachineInfo } from './machine-info'
import type { RealScaleOptions } from './real-scale-options'
import type { RealScaleJob, RealScaleMessage } from './real-scale-protocol'

/**
 * `npm run bench -- --real-scale`: a full-size Stable Diffusion 1.5 export (random weights, built
 * by tools/make_full_size_models.py) measured where memory and time are real: each UNet
 * configuration in a process of its own (time per run, peak RSS), and whole generations as the
 * CLI makes them. Every child runs under a memory cap enforced by polling its RSS; one that
 * passes the cap is killed and recorded as such (the exported UNet at 768² needs more than 17 GiB).
 */

const ROOT = join(__dirname, '..', '..')
const GIB = 1024 ** 3

/** One measurement process's outcome. */
export interface ChildOutcome {
  messages: RealScaleMessage[]
  /** Highest RSS the parent saw (polling every 100 ms), bytes. */
  polledPeakRssBytes: number
  /** Set when the process was killed at the cap or failed. */
  stopped: string | null
  wallMs: number
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

/** Runs one job in a child process under the RSS cap. */
export function runChild(job: RealScaleJob, capBytes: number): Promise<ChildOutcome> {
  const started = Date.now()
  const child = fork(
    join(ROOT, 'main/inference/client/tsx-bootstrap.mjs'),
    [join(__dirname, 'real-scale-process.ts'), JSON.stringify(job)],
    { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }
  )
  const outcome: ChildOutcome = { messages: [], polledPeakRssBytes: 0, stopped: null, wallMs: 0 }
  return new Promise((done) => {
    const timer = setInterval(() => {
      if (child.pid === undefined) return
      const rss = rssOf(child.pid)
      outcome.polledPeakRssBytes = Math.max(outcome.polledPeakRssBytes, rss)
      if (rss > capBytes && outcome.stopped === null) {
        outcome.stopped = `killed at the memory cap: RSS ${(rss / GIB).toFixed(2)} GiB > ${(capBytes / GIB).toFixed(1)} GiB`
        child.kill('SIGKILL')
      }
    }, 100)
    child.on('message', (m: RealScaleMessage) => {
      outcome.messages.push(m)
      if (m.type === 'error') outcome.stopped = `failed: ${m.message}`
    })
    child.on('exit', (code, signal) => {
      clearInterval(timer)
      outcome.wallMs = Date.now() - started
      if (outcome.stopped === null && !outcome.messages.some((m) => m.type === 'done')) {
        outcome.stopped = `the process ended early (${signal ?? `exit code ${code}`})`
      }
      done(outcome)
    })
  })
}

const gib = (bytes: number): number => Math.round((bytes / GIB) * 100) / 100

/** One UNet configuration's figures. */
export interface UnetRow {
  size: number
  batch: number
  attention: 'fused' | 'exported'
  memoryPattern: boolean
  loadS: number | null
  graphPasses: string[]
  runMs: number[]
  /** Median of the runs after the first (the first includes onnxruntime's planning). */
  steadyRunMs: number | null
  rssAfterLoadGiB: number | null
  peakRssGiB: number
  stopped: string | null
}

export interface PipelineRow {
  size: number
  steps: number
  /** UNet batch: 2 with classifier-free guidance (7.5), 1 without (guidance 1). */
  batch: 1 | 2
  attention: 'fused' | 'exported'
  memoryPattern: boolean
  totalS: number | null
  stepMs: number[]
  /** Time inside the UNet's `session.run` at each step (the rest of `stepMs` is the loop's). */
  stepUnetMs?: number[]
  /** `session.run` alone on the same session with each step's feeds, right after that step. */
  bareUnetMs?: number[]
  /**
   * Steady state: median over the steps after the first of step time / the bare run right after
   * it (1.03 = 3 % slower than onnxruntime alone), and the same for the time inside
   * `session.run` only.
   */
  stepVsBare?: number | null
  unetVsBare?: number | null
  /** The same as CPU time of the process during `session.run` (what the load moves least). */
  stepUnetCpuMs?: number[]
  bareUnetCpuMs?: number[]
  unetCpuVsBare?: number | null
  /** CPU ms by thread name during all the generation's UNet runs and all the bare runs. */
  threadCpuMs?: { pipeline: Record<string, number>; bare: Record<string, number> }
  peakRssGiB: number
  /** RSS once every session is loaded (the weights). */
  rssAfterLoadGiB?: number | null
  /** Peak RSS up to the end of the last denoising step (before the VAE decode). */
  peakRssDenoisingGiB: number | null
  /** max |latents − exported graph's latents| / max |exported latents|, when both ran. */
  relativeDifferenceToExported: number | null
  stopped: string | null
}

export interface RealScaleResult {
  kind: 'real-scale'
  date: string
  machine: MachineInfo
  model: { dir: string; exportInfo: unknown }
  capGiB: number
  /**
   * The first fused load of this export (exactness check included: the exported and the fused
   * UNet loaded one after the other), or null when it was cached already / not measured.
   */
  firstLoad: { loadS: number; peakRssGiB: number; graphPasses: string[] } | null
  unet: UnetRow[]
  pipeline: PipelineRow[]
  durationS: number
}

interface PipelinePlan {
  size: number
  steps: number
  batch: 1 | 2
  attention: 'fused' | 'exported'
  memoryPattern: boolean
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function settingsFor(o: RealScaleOptions, fused: boolean, memPattern: boolean): SessionSettings {
  return {
    executionProviders: ['cpu'],
    fuseAttention: fused,
    enableMemPattern: memPattern,
    graphPassCacheDir: join(ROOT, 'bench/results/tmp/graph-pass-cache'),
    ...(o.threads === undefined ? {} : { intraOpNumThreads: o.threads })
  }
}

function passSummaries(reports: GraphPassReport[]): string[] {
  return reports.map((r) => `${r.component}: ${r.summary}`)
}

/** Runs every measurement; `log` gets progress lines. */
export async function runRealScale(
  o: RealScaleOptions,
  log: (line: string) => void
): Promise<RealScaleResult> {
  const started = Date.now()
  const machine = machineInfo()
  const cap = o.capGiB * GIB
  const exportInfoFile = join(o.modelDir, 'export-info.json')
  const exportInfo: unknown = existsSync(exportInfoFile)
    ? JSON.parse(readFileSync(exportInfoFile, 'utf8'))
    : null
  const unet: UnetRow[] = []
  // The first fused load runs the exactness check (two extra session loads); do it once here so
  // that every measured process below takes the verdict from the cache.
  let firstLoad: RealScaleResult['firstLoad'] = null
  if (o.attention.includes('fused')) {
    log('exactness check of the fused UNet (first load of this export)')
    const check = await runChild(
      {
        kind: 'unet',
        modelDir: o.modelDir,
        settings: settingsFor(o, true, false),
        width: 512,
        height: 512,
        batch: 2,
        runs: 0
      },
      cap
    )
    const checked = check.messages.find((m) => m.type === 'loaded')
    if (check.stopped !== null) throw new Error(`the first load failed: ${check.stopped}`)
    if (checked?.type === 'loaded') {
      firstLoad = {
        loadS: Math.round(checked.loadMs / 100) / 10,
        peakRssGiB: gib(Math.max(check.polledPeakRssBytes, checked.peakRssBytes)),
        graphPasses: passSummaries(checked.graphPasses)
      }
      log(
        `  ${firstLoad.graphPasses.join('; ')}: ${firstLoad.loadS} s, peak ${firstLoad.peakRssGiB} GiB`
      )
    }
  }
  for (const size of o.sizes) {
    if (!o.unet) break
    for (const attention of o.attention) {
      for (const memoryPattern of o.memoryPattern) {
        const label = `${size}² batch 2, attention ${attention}, memory pattern ${memoryPattern ? 'on' : 'off'}`
        log(label)
        const outcome = await runChild(
          {
            kind: 'unet',
            modelDir: o.modelDir,
            settings: settingsFor(o, attention === 'fused', memoryPattern),
            width: size,
            height: size,
            batch: 2,
            runs: o.runs
          },
          cap
        )
        const loaded = outcome.messages.find((m) => m.type === 'loaded')
        const runs = outcome.messages.flatMap((m) => (m.type === 'run' ? [m] : []))
        const peaks = outcome.messages.flatMap((m) => ('peakRssBytes' in m ? [m.peakRssBytes] : []))
        const row: UnetRow = {
          size,
          batch: 2,
          attention,
          memoryPattern,
          loadS: loaded?.type === 'loaded' ? Math.round(loaded.loadMs / 100) / 10 : null,
          graphPasses: loaded?.type === 'loaded' ? passSummaries(loaded.graphPasses) : [],
          runMs: runs.map((r) => Math.round(r.ms)),
          steadyRunMs: median(runs.slice(1).map((r) => Math.round(r.ms))),
          rssAfterLoadGiB: loaded?.type === 'loaded' ? gib(loaded.rssBytes) : null,
          peakRssGiB: gib(Math.max(outcome.polledPeakRssBytes, ...peaks)),
          stopped: outcome.stopped
        }
        log(
          `  load ${row.loadS ?? '–'} s, runs ${row.runMs.join(', ')} ms, peak ${row.peakRssGiB} GiB${row.stopped === null ? '' : ` (${row.stopped})`}`
        )
        unet.push(row)
      }
    }
  }
  const pipeline: PipelineRow[] = []
  if (o.pipeline) {
    // The issue's runs: 2 steps at 512² (and at any size up to it), 1 step above; fused with the
    // memory pattern off and on, and the exported graph at the smallest size for comparison.
    const plans: PipelinePlan[] = o.sizes.flatMap((size, k) =>
      o.batches.flatMap((batch) => {
        const steps = size <= 512 ? 2 : 1
        const rows: PipelinePlan[] = []
        if (o.attention.includes('fused')) {
          for (const memoryPattern of o.memoryPattern) {
            rows.push({ size, steps, batch, attention: 'fused', memoryPattern })
          }
        }
        if (o.attention.includes('exported') && (k === 0 || !o.attention.includes('fused'))) {
          rows.push({
            size,
            steps,
            batch,
            attention: 'exported',
            memoryPattern: o.memoryPattern[0] ?? false
          })
        }
        return rows
      })
    )
    const latents = new Map<string, number[]>()
    for (const p of plans) {
      const label = `generation ${p.size}², ${p.steps} step${p.steps === 1 ? '' : 's'}, batch ${p.batch}, attention ${p.attention}, memory pattern ${p.memoryPattern ? 'on' : 'off'}`
      log(label)
      const outcome = await runChild(
        {
          kind: 'pipeline',
          modelDir: o.modelDir,
          settings: settingsFor(o, p.attention === 'fused', p.memoryPattern),
          width: p.size,
          height: p.size,
          batch: p.batch,
          runs: p.steps
        },
        cap
      )
      const done = outcome.messages.find((m) => m.type === 'pipeline')
      const peaks = outcome.messages.flatMap((m) => ('peakRssBytes' in m ? [m.peakRssBytes] : []))
      const stepPeaks = outcome.messages.flatMap((m) => (m.type === 'step' ? [m.peakRssBytes] : []))
      const loaded = outcome.messages.find((m) => m.type === 'loaded')
      const key = `${p.size}/${p.steps}/${p.batch}`
      if (done?.type === 'pipeline' && p.attention === 'exported') latents.set(key, done.latents)
      pipeline.push({
        ...p,
        totalS: done?.type === 'pipeline' ? Math.round(done.ms / 100) / 10 : null,
        stepMs: done?.type === 'pipeline' ? done.stepsMs.map(Math.round) : [],
        ...steadyState(done?.type === 'pipeline' ? done : null),
        peakRssGiB: gib(Math.max(outcome.polledPeakRssBytes, ...peaks)),
        rssAfterLoadGiB: loaded?.type === 'loaded' ? gib(loaded.rssBytes) : null,
        peakRssDenoisingGiB: stepPeaks.length === 0 ? null : gib(Math.max(...stepPeaks)),
        relativeDifferenceToExported: null,
        stopped: outcome.stopped
      })
      ;(pipeline[pipeline.length - 1] as PipelineRow & { latents?: number[] }).latents =
        done?.type === 'pipeline' ? done.latents : undefined
      const last = pipeline[pipeline.length - 1] as PipelineRow
      if (last.stepVsBare !== undefined) {
        log(
          `  steps ${last.stepMs.join(', ')} ms (UNet ${last.stepUnetMs?.join(', ')}), bare session.run ${last.bareUnetMs?.join(', ')} ms: ×${last.stepVsBare} (UNet ×${last.unetVsBare}; CPU ${last.stepUnetCpuMs?.join(', ')} vs ${last.bareUnetCpuMs?.join(', ')} ms: ×${last.unetCpuVsBare}); CPU by thread, generation ${JSON.stringify(last.threadCpuMs?.pipeline)}, bare ${JSON.stringify(last.threadCpuMs?.bare)}`
        )
      }
      log(
        `  peak ${gib(Math.max(outcome.polledPeakRssBytes, ...peaks))} GiB${outcome.stopped === null ? '' : ` (${outcome.stopped})`}`
      )
    }
    for (const row of pipeline as (PipelineRow & { latents?: number[] })[]) {
      const reference = latents.get(`${row.size}/${row.steps}/${row.batch}`)
      if (row.latents !== undefined && reference !== undefined && row.attention === 'fused') {
        row.relativeDifferenceToExported = relativeDifference(reference, row.latents)
      }
      delete row.latents
    }
  }
  return {
    kind: 'real-scale',
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    model: { dir: o.modelDir, exportInfo },
    capGiB: o.capGiB,
    firstLoad,
    unet,
    pipeline,
    durationS: Math.round((Date.now() - started) / 1000)
  }
}

function steadyState(
  done: {
    stepsMs: number[]
    stepsUnetMs: number[]
    bareUnetMs: number[]
    stepsUnetCpuMs: number[]
    bareUnetCpuMs: number[]
    threadCpuMs: { pipeline: Record<string, number>; bare: Record<string, number> }
  } | null
): Pick<
  PipelineRow,
  | 'stepUnetMs'
  | 'bareUnetMs'
  | 'stepVsBare'
  | 'unetVsBare'
  | 'stepUnetCpuMs'
  | 'bareUnetCpuMs'
  | 'unetCpuVsBare'
  | 'threadCpuMs'
> {
  if (done === null) return {}
  // Steady state: the steps after the first (which plans memory for the shape), each against
  // the bare run right after it; the median of those pairs' ratios.
  const ratio = (xs: number[], base: number[]): number | null => {
    const m = median(
      xs.slice(1).flatMap((x, i) => (base[i + 1] ? [x / (base[i + 1] as number)] : []))
    )
    return m === null ? null : Math.round(m * 1000) / 1000
  }
  return {
    stepUnetMs: done.stepsUnetMs.map(Math.round),
    bareUnetMs: done.bareUnetMs.map(Math.round),
    stepVsBare: ratio(done.stepsMs, done.bareUnetMs),
    unetVsBare: ratio(done.stepsUnetMs, done.bareUnetMs),
    stepUnetCpuMs: done.stepsUnetCpuMs.map(Math.round),
    bareUnetCpuMs: done.bareUnetCpuMs.map(Math.round),
    unetCpuVsBare: ratio(done.stepsUnetCpuMs, done.bareUnetCpuMs),
    threadCpuMs: done.threadCpuMs
  }
}

function relativeDifference(a: number[], b: number[]): number | null {
  if (a.length !== b.length || a.length === 0) return null
  let scale = 0
  let diff = 0
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i] as number))
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)))
  }
  return diff / scale
}
