import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { GraphPassReport, SessionSettings } from '../../main/engine'
import { machineInfo, loadAverage, type MachineInfo } from './machine-info'
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

/** Where the generator puts the torch 1.13 fp32 export by default. */
export const DEFAULT_FULL_SIZE_MODEL = '/tmp/stepwise-full-size/sd15-fp32-torch1'

export const HOW_TO_BUILD = `Build one (about 10 minutes, 11 GB of disk, up to 10.4 GiB of memory):
  /work/pyenv/bin/python tools/make_full_size_models.py --out /tmp/stepwise-full-size
(see tools/README.md for the Python environment), then pass --model DIR or set
STEPWISE_FULL_SIZE_MODEL=DIR.`

export interface RealScaleOptions {
  modelDir: string
  sizes: number[]
  capGiB: number
  /** UNet runs per configuration (the first includes onnxruntime's first-run planning). */
  runs: number
  /** Also make whole generations at each size (2 steps up to 512², 1 step above). */
  pipeline: boolean
  threads: number | undefined
  json: boolean
  save: boolean
  out: string | null
}

export const REAL_SCALE_USAGE = `Usage: npm run bench -- --real-scale [--model DIR] [--sizes 512,768] [--cap-gib 12]
                                     [--runs 3] [--no-pipeline] [--threads N] [--json] [--out FILE] [--no-save]

Time and peak RSS per UNet run of a full-size SD 1.5 export, attention fused vs as exported,
memory pattern off and on, and whole CLI-like generations. Results: bench/results/*-real-scale.json.

  --model DIR    the export (default: $STEPWISE_FULL_SIZE_MODEL, else ${DEFAULT_FULL_SIZE_MODEL})
  --sizes LIST   image sizes (square), default 512,768
  --cap-gib N    memory cap per measurement process, default 12 (a process over it is killed)
  --runs N       UNet runs per configuration, default 3
  --no-pipeline  skip the whole-generation runs
  --threads N    intra-op threads (default: the engine's)

${HOW_TO_BUILD}`

/** Parses the arguments after `--real-scale`; throws with a message naming the problem. */
export function parseRealScaleArgs(argv: readonly string[]): RealScaleOptions | 'help' {
  const o: RealScaleOptions = {
    modelDir: process.env.STEPWISE_FULL_SIZE_MODEL ?? DEFAULT_FULL_SIZE_MODEL,
    sizes: [512, 768],
    capGiB: 12,
    runs: 3,
    pipeline: true,
    threads: undefined,
    json: false,
    save: true,
    out: null
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`)
      return next
    }
    const positive = (text: string): number => {
      const n = Number(text)
      if (!Number.isFinite(n) || n <= 0)
        throw new Error(`${arg} needs a positive number, got ${text}`)
      return n
    }
    switch (arg) {
      case '--real-scale':
        break
      case '--help':
      case '-h':
        return 'help'
      case '--model':
        o.modelDir = resolve(value())
        break
      case '--sizes':
        o.sizes = value()
          .split(',')
          .map((s) => {
            const n = positive(s)
            if (n % 64 !== 0) throw new Error(`--sizes: ${s} is not a multiple of 64`)
            return n
          })
        break
      case '--cap-gib':
        o.capGiB = positive(value())
        break
      case '--runs':
        o.runs = Math.round(positive(value()))
        break
      case '--threads':
        o.threads = Math.round(positive(value()))
        break
      case '--no-pipeline':
        o.pipeline = false
        break
      case '--json':
        o.json = true
        break
      case '--out':
        o.out = resolve(value())
        break
      case '--no-save':
        o.save = false
        break
      default:
        throw new Error(`unknown option ${arg} for --real-scale (see --real-scale --help)`)
    }
  }
  if (!existsSync(join(o.modelDir, 'model_index.json'))) {
    throw new Error(`no full-size export at ${o.modelDir} (no model_index.json).\n${HOW_TO_BUILD}`)
  }
  return o
}

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
    join(ROOT, 'main/engine/worker/tsx-bootstrap.mjs'),
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
  attention: 'fused' | 'exported'
  memoryPattern: boolean
  totalS: number | null
  stepMs: number[]
  peakRssGiB: number
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
  unet: UnetRow[]
  pipeline: PipelineRow[]
  durationS: number
}

interface PipelinePlan {
  size: number
  steps: number
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
  log(
    `  ${checked?.type === 'loaded' ? `${passSummaries(checked.graphPasses).join('; ')} in ${(checked.loadMs / 1000).toFixed(0)} s` : check.stopped}`
  )
  for (const size of o.sizes) {
    for (const attention of ['fused', 'exported'] as const) {
      for (const memoryPattern of [false, true]) {
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
    const plans: PipelinePlan[] = o.sizes.flatMap((size, k) => {
      const steps = size <= 512 ? 2 : 1
      const rows: PipelinePlan[] = [
        { size, steps, attention: 'fused', memoryPattern: false },
        { size, steps, attention: 'fused', memoryPattern: true }
      ]
      if (k === 0) rows.push({ size, steps, attention: 'exported', memoryPattern: false })
      return rows
    })
    const latents = new Map<string, number[]>()
    for (const p of plans) {
      const label = `generation ${p.size}², ${p.steps} step${p.steps === 1 ? '' : 's'}, attention ${p.attention}, memory pattern ${p.memoryPattern ? 'on' : 'off'}`
      log(label)
      const outcome = await runChild(
        {
          kind: 'pipeline',
          modelDir: o.modelDir,
          settings: settingsFor(o, p.attention === 'fused', p.memoryPattern),
          width: p.size,
          height: p.size,
          batch: 2,
          runs: p.steps
        },
        cap
      )
      const done = outcome.messages.find((m) => m.type === 'pipeline')
      const peaks = outcome.messages.flatMap((m) => ('peakRssBytes' in m ? [m.peakRssBytes] : []))
      const key = `${p.size}/${p.steps}`
      if (done?.type === 'pipeline' && p.attention === 'exported') latents.set(key, done.latents)
      pipeline.push({
        ...p,
        totalS: done?.type === 'pipeline' ? Math.round(done.ms / 100) / 10 : null,
        stepMs: done?.type === 'pipeline' ? done.stepsMs.map(Math.round) : [],
        peakRssGiB: gib(Math.max(outcome.polledPeakRssBytes, ...peaks)),
        relativeDifferenceToExported: null,
        stopped: outcome.stopped
      })
      ;(pipeline[pipeline.length - 1] as PipelineRow & { latents?: number[] }).latents =
        done?.type === 'pipeline' ? done.latents : undefined
      log(
        `  peak ${gib(Math.max(outcome.polledPeakRssBytes, ...peaks))} GiB${outcome.stopped === null ? '' : ` (${outcome.stopped})`}`
      )
    }
    for (const row of pipeline as (PipelineRow & { latents?: number[] })[]) {
      const reference = latents.get(`${row.size}/${row.steps}`)
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
    unet,
    pipeline,
    durationS: Math.round((Date.now() - started) / 1000)
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

/** A markdown table of a result, for the terminal and bench/README.md. */
export function realScaleTable(r: RealScaleResult): string {
  const lines = [
    '| UNet, batch 2 | attention | memory pattern | load (s) | time per run (ms) | peak RSS (GiB) |',
    '|---|---|---|---|---|---|'
  ]
  for (const u of r.unet) {
    const time =
      u.stopped !== null && u.runMs.length === 0
        ? u.stopped
        : `${u.runMs.join(', ')}${u.stopped === null ? '' : ` (${u.stopped})`}`
    lines.push(
      `| ${u.size}² | ${u.attention} | ${u.memoryPattern ? 'on' : 'off'} | ${u.loadS ?? '–'} | ${time} | ${u.peakRssGiB} |`
    )
  }
  if (r.pipeline.length > 0) {
    lines.push(
      '',
      '| generation | attention | memory pattern | total (s) | steps (ms) | peak RSS (GiB) | vs exported |',
      '|---|---|---|---|---|---|---|'
    )
    for (const p of r.pipeline) {
      const diff =
        p.relativeDifferenceToExported === null
          ? '–'
          : p.relativeDifferenceToExported.toExponential(1)
      lines.push(
        `| ${p.size}², ${p.steps} step${p.steps === 1 ? '' : 's'} | ${p.attention} | ${p.memoryPattern ? 'on' : 'off'} | ${p.totalS ?? p.stopped ?? '–'} | ${p.stepMs.join(', ')} | ${p.peakRssGiB} | ${diff} |`
      )
    }
  }
  return lines.join('\n')
}
