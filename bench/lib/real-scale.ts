import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GraphPassReport, SessionSettings } from '../../main/engine'
import { machineInfo, loadAverage, type MachineInfo } from './machine-info'
import type { RealScaleOptions } from './real-scale-options'
import type { RealScaleJob, RealScaleMessage } from './real-scale-protocol'
import type { RunPair } from './unet-run-pairs'

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
  /** Whether the UNet's session kept onnxruntime's CPU arena (the engine's default: yes). */
  unetArena: boolean
  /** The pipeline's UNet `session.run` against a bare one on the same session and feeds. */
  unetPairs?: PairSummary
  /** CPU ms by thread name during all the generation's UNet runs and all the bare runs. */
  threadCpuMs?: { pipeline: Record<string, number>; bare: Record<string, number> }
  peakRssGiB: number
  /** RSS once every session is loaded (the weights). */
  rssAfterLoadGiB?: number | null
  /**
   * Peak RSS up to the end of the last denoising step (before the VAE decode); since the end of
   * the load where the peak can be reset (Linux), else including the load's.
   */
  peakRssDenoisingGiB: number | null
  /** Peak RSS while the model loaded. */
  loadPeakRssGiB?: number | null
  /** RSS and peak RSS (since the load) at the end of each step. */
  stepRssGiB?: number[]
  stepPeakRssGiB?: number[]
  /** RSS when the last step ended: what the UNet (and the rest) still hold as the decode starts. */
  rssBeforeDecodeGiB?: number | null
  /** Peak RSS from the end of the last step to the end of the run (the VAE decode's). */
  decodePeakRssGiB?: number | null
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
  unetArena: boolean
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function settingsFor(
  o: RealScaleOptions,
  fused: boolean,
  memPattern: boolean,
  unetArena = true
): SessionSettings {
  return {
    executionProviders: ['cpu'],
    fuseAttention: fused,
    enableMemPattern: memPattern,
    ...(unetArena ? {} : { cpuMemArena: { unet: false } }),
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
        const steps = o.steps ?? (size <= 512 ? 2 : 1)
        const rows: PipelinePlan[] = []
        if (o.attention.includes('fused')) {
          for (const memoryPattern of o.memoryPattern) {
            for (const unetArena of o.unetArena) {
              rows.push({ size, steps, batch, attention: 'fused', memoryPattern, unetArena })
            }
          }
        }
        if (o.attention.includes('exported') && (k === 0 || !o.attention.includes('fused'))) {
          rows.push({
            size,
            steps,
            batch,
            attention: 'exported',
            memoryPattern: o.memoryPattern[0] ?? false,
            unetArena: o.unetArena[0] ?? true
          })
        }
        return rows
      })
    )
    const latents = new Map<string, number[]>()
    for (const p of plans) {
      const label = `generation ${p.size}², ${p.steps} step${p.steps === 1 ? '' : 's'}, batch ${p.batch}, attention ${p.attention}, memory pattern ${p.memoryPattern ? 'on' : 'off'}, UNet arena ${p.unetArena ? 'on' : 'off'}`
      log(label)
      const outcome = await runChild(
        {
          kind: 'pipeline',
          modelDir: o.modelDir,
          settings: settingsFor(o, p.attention === 'fused', p.memoryPattern, p.unetArena),
          width: p.size,
          height: p.size,
          batch: p.batch,
          runs: p.steps,
          pairs: o.pairs !== false
        },
        cap
      )
      const done = outcome.messages.find((m) => m.type === 'pipeline')
      const peaks = outcome.messages.flatMap((m) => ('peakRssBytes' in m ? [m.peakRssBytes] : []))
      const stepPeaks = outcome.messages.flatMap((m) => (m.type === 'step' ? [m.peakRssBytes] : []))
      const loaded = outcome.messages.find((m) => m.type === 'loaded')
      const key = `${p.size}/${p.steps}/${p.batch}`
      const pairs = done?.type === 'pipeline' ? done.pairs : []
      if (done?.type === 'pipeline' && p.attention === 'exported') latents.set(key, done.latents)
      pipeline.push({
        ...p,
        totalS: done?.type === 'pipeline' ? Math.round(done.ms / 100) / 10 : null,
        stepMs: done?.type === 'pipeline' ? done.stepsMs.map(Math.round) : [],
        ...(done?.type === 'pipeline' && pairs.length > 0
          ? { unetPairs: summarisePairs(pairs), threadCpuMs: done.threadCpuMs }
          : {}),
        peakRssGiB: gib(Math.max(outcome.polledPeakRssBytes, ...peaks)),
        rssAfterLoadGiB: loaded?.type === 'loaded' ? gib(loaded.rssBytes) : null,
        loadPeakRssGiB: loaded?.type === 'loaded' ? gib(loaded.peakRssBytes) : null,
        peakRssDenoisingGiB: stepPeaks.length === 0 ? null : gib(Math.max(...stepPeaks)),
        stepRssGiB: outcome.messages.flatMap((m) => (m.type === 'step' ? [gib(m.rssBytes)] : [])),
        stepPeakRssGiB: stepPeaks.map(gib),
        rssBeforeDecodeGiB:
          done?.type === 'pipeline' && done.rssBeforeDecodeBytes !== null
            ? gib(done.rssBeforeDecodeBytes)
            : null,
        decodePeakRssGiB:
          done?.type === 'pipeline' && done.decodePeakRssBytes !== null
            ? gib(done.decodePeakRssBytes)
            : null,
        relativeDifferenceToExported: null,
        stopped: outcome.stopped
      })
      ;(pipeline[pipeline.length - 1] as PipelineRow & { latents?: number[] }).latents =
        done?.type === 'pipeline' ? done.latents : undefined
      const last = pipeline[pipeline.length - 1] as PipelineRow
      const u = last.unetPairs
      if (u !== undefined) {
        log(
          `  steps ${last.stepMs.join(', ')} ms; UNet vs bare session.run over ${u.steadyPairs} pairs (ABBA): wall ×${u.wall.median} (${u.wall.min}–${u.wall.max}), CPU ×${u.cpu.median} (${u.cpu.min}–${u.cpu.max}); pipeline first ×${u.wallPipelineFirst ?? '–'}, bare first ×${u.wallBareFirst ?? '–'}`
        )
      }
      log(
        `  RSS before the decode ${last.rssBeforeDecodeGiB ?? '–'} GiB, decode peak ${last.decodePeakRssGiB ?? '–'} GiB`
      )
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

/** Median, min and max of ratios, to three decimals. */
export interface RatioSpread {
  median: number | null
  min: number | null
  max: number | null
}

/** Pairs of UNet runs (see unet-run-pairs.ts) summarised for a result. */
export interface PairSummary {
  /** Each pair as measured: wall and CPU ms of both runs, and which ran first. */
  pairs: RunPair[]
  /** Pairs after the first (whose runs include onnxruntime's first-run work), the ones below. */
  steadyPairs: number
  /** pipeline / bare over the steady pairs: wall time and process CPU time. */
  wall: RatioSpread
  cpu: RatioSpread
  /** Median wall ratio of the steady pairs where the pipeline ran first, and where bare did. */
  wallPipelineFirst: number | null
  wallBareFirst: number | null
}

const round3 = (x: number | null): number | null =>
  x === null ? null : Math.round(x * 1000) / 1000

function spread(xs: number[]): RatioSpread {
  return {
    median: round3(median(xs)),
    min: xs.length === 0 ? null : round3(Math.min(...xs)),
    max: xs.length === 0 ? null : round3(Math.max(...xs))
  }
}

/** Steady-state ratios of the pipeline's UNet runs to the bare ones paired with them. */
export function summarisePairs(pairs: RunPair[]): PairSummary {
  const steady = pairs.slice(1)
  const wall = (p: RunPair): number => p.pipelineMs / p.bareMs
  return {
    pairs: pairs.map((p) => ({
      first: p.first,
      pipelineMs: Math.round(p.pipelineMs),
      pipelineCpuMs: Math.round(p.pipelineCpuMs),
      bareMs: Math.round(p.bareMs),
      bareCpuMs: Math.round(p.bareCpuMs)
    })),
    steadyPairs: steady.length,
    wall: spread(steady.map(wall)),
    cpu: spread(steady.map((p) => p.pipelineCpuMs / p.bareCpuMs)),
    wallPipelineFirst: round3(median(steady.filter((p) => p.first === 'pipeline').map(wall))),
    wallBareFirst: round3(median(steady.filter((p) => p.first === 'bare').map(wall)))
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
