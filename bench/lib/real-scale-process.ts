import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import {
  AutoPipelineForText2Image,
  ComponentSessions,
  Generator,
  openModelFolder
} from '../../main/engine'
import type { RealScaleJob, RealScaleMessage } from './real-scale-protocol'

/**
 * One real-scale measurement in a process of its own (started by real-scale.ts), so that its
 * peak RSS is its own: load a full-size model's UNet through the engine (graph passes included)
 * and time UNet runs at one size, or run the whole pipeline as the CLI does. Reports go to the
 * parent as they happen, so a run the parent kills at its memory cap still leaves what it did.
 */

/** Sends a report; resolves once it is written, so none is lost when the process ends. */
function send(message: RealScaleMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) resolve()
    else process.send(message, () => resolve())
  })
}

/** Resident and peak-resident bytes of this process (Linux /proc; zeros elsewhere). */
function memory(): { rssBytes: number; peakRssBytes: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return { rssBytes: kb('VmRSS') * 1024, peakRssBytes: kb('VmHWM') * 1024 }
  } catch {
    return { rssBytes: process.memoryUsage().rss, peakRssBytes: 0 }
  }
}

function randomData(count: number, seed: number): Float32Array {
  let x = seed
  return Float32Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x / 2 ** 30 - 1
  })
}

async function unetRuns(job: RealScaleJob): Promise<void> {
  const folder = await openModelFolder(job.modelDir)
  const sessions = new ComponentSessions(folder, job.settings)
  const start = performance.now()
  const unet = await sessions.get('unet')
  await send({
    type: 'loaded',
    loadMs: performance.now() - start,
    graphPasses: sessions.graphPasses,
    ...memory()
  })
  const h = job.height / 8
  const w = job.width / 8
  const batch = job.batch
  const hidden = Number(unet.input('encoder_hidden_states').shape[2]) || 768
  const feeds = {
    sample: new Tensor('float32', randomData(batch * 4 * h * w, 1), [batch, 4, h, w]),
    timestep: new Tensor('float32', new Float32Array(batch).fill(500), [batch]),
    encoder_hidden_states: new Tensor('float32', randomData(batch * 77 * hidden, 2), [
      batch,
      77,
      hidden
    ])
  }
  for (let run = 0; run < job.runs; run++) {
    const t = performance.now()
    const out = await unet.run(feeds)
    const ms = performance.now() - t
    const data = Object.values(out.outputs)[0]?.data as Float32Array
    let maxAbs = 0
    for (const v of data) maxAbs = Math.max(maxAbs, Math.abs(v))
    await send({ type: 'run', run, ms, maxAbsOutput: maxAbs, ...memory() })
  }
  await sessions.release()
}

type Feeds = Record<string, Tensor>

/** CPU ms of this process's threads by name (`/proc/self/task/<tid>/stat`; empty elsewhere). */
function threadCpu(): Map<string, number> {
  const byName = new Map<string, number>()
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
      const ticks = Number(fields[11]) + Number(fields[12])
      byName.set(name, (byName.get(name) ?? 0) + ticks * 10)
    }
  } catch {
    // Not Linux: no per-thread figures.
  }
  return byName
}

/** Adds the per-thread CPU ms spent since `before` into `into`. */
function addThreadCpu(into: Record<string, number>, before: Map<string, number>): void {
  for (const [name, ms] of threadCpu()) {
    const delta = ms - (before.get(name) ?? 0)
    if (delta > 0) into[name] = (into[name] ?? 0) + delta
  }
}

/** CPU time of this process (all its threads) in a `process.cpuUsage` difference, ms. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000
}
type RunFn = (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) => Promise<unknown>

/** The UNet's session and the feeds of its latest run, recorded during a generation. */
interface UnetRecording {
  session: InferenceSession | null
  feeds: Feeds | null
  /** CPU time of the process during each of the generation's UNet runs, ms. */
  cpuMs: number[]
  /** `session.run` alone on the same session with the latest feeds: wall and CPU ms. */
  bare(): Promise<{ ms: number; cpuMs: number } | null>
  /** CPU ms by thread name during the generation's UNet runs and during the bare runs. */
  threads: { pipeline: Record<string, number>; bare: Record<string, number> }
}

/**
 * Runs `during` with a pass-through on `InferenceSession.prototype.run` that keeps the UNet's
 * session and a copy of the feeds of its latest run, so that the same session can be timed alone
 * with the same inputs (between the generation's steps: each pair then sees the same load).
 */
async function recordUnetRuns(
  during: (recording: UnetRecording) => Promise<void>
): Promise<UnetRecording> {
  const proto = (InferenceSession as unknown as { prototype: { run: RunFn } }).prototype
  const original = proto.run
  const recording: UnetRecording = {
    session: null,
    feeds: null,
    cpuMs: [],
    threads: { pipeline: {}, bare: {} },
    bare: async () => {
      if (recording.session === null || recording.feeds === null) return null
      const t0 = performance.now()
      const cpu = process.cpuUsage()
      const threads = threadCpu()
      await original.call(recording.session, recording.feeds)
      addThreadCpu(recording.threads.bare, threads)
      return { cpuMs: cpuMs(process.cpuUsage(cpu)), ms: performance.now() - t0 }
    }
  }
  proto.run = async function (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) {
    if ('sample' in feeds && 'encoder_hidden_states' in feeds) {
      const copy: Feeds = {}
      for (const [name, t] of Object.entries(feeds)) {
        const data = t.data as Float32Array
        copy[name] = new Tensor(t.type as 'float32', data.slice(), [...t.dims])
      }
      recording.session = this
      recording.feeds = copy
      const cpu = process.cpuUsage()
      const threads = threadCpu()
      const result = await original.call(this, feeds, ...rest)
      addThreadCpu(recording.threads.pipeline, threads)
      recording.cpuMs.push(cpuMs(process.cpuUsage(cpu)))
      return result
    }
    return original.call(this, feeds, ...rest)
  }
  try {
    await during(recording)
  } finally {
    proto.run = original
  }
  return recording
}

async function pipelineRun(job: RealScaleJob): Promise<void> {
  const start = performance.now()
  const pipe = await AutoPipelineForText2Image.fromPretrained(job.modelDir, {
    ...job.settings,
    preload: true
  })
  await send({
    type: 'loaded',
    loadMs: performance.now() - start,
    graphPasses: pipe.graphPasses,
    ...memory()
  })
  const t = performance.now()
  let latents: Float32Array = new Float32Array(0)
  // The whole generation, decode included, as the CLI runs it; the final latents are kept for
  // comparing fused and exported graphs (the image's 8-bit pixels would hide the difference).
  let out: Awaited<ReturnType<typeof pipe.call>> | null = null
  // After each step, the same session alone on that step's exact feeds: pairs that see the same
  // load (wall time), and CPU time, which the load moves less.
  const bareUnetMs: number[] = []
  const bareUnetCpuMs: number[] = []
  const recorded = await recordUnetRuns(async (recording) => {
    out = await pipe.call({
      prompt: 'a red circle on a blue background',
      numInferenceSteps: job.runs,
      // Batch 2 is one image with classifier-free guidance; batch 1 the same without.
      guidanceScale: job.batch === 1 ? 1 : 7.5,
      width: job.width,
      height: job.height,
      generator: new Generator().manualSeed(42),
      onStepEnd: async (info) => {
        latents = Float32Array.from(info.latents.data as Float32Array)
        void send({ type: 'step', index: info.index, ms: info.ms, ...memory() })
        const bare = await recording.bare()
        if (bare !== null) {
          bareUnetMs.push(bare.ms)
          bareUnetCpuMs.push(bare.cpuMs)
        }
      }
    })
  })
  const ms = performance.now() - t - bareUnetMs.reduce((a, b) => a + b, 0)
  const output = out as unknown as Awaited<ReturnType<typeof pipe.call>>
  await send({
    type: 'pipeline',
    ms,
    unetMs: output.unetMs,
    stepsMs: output.steps.map((s) => s.ms),
    stepsUnetMs: output.steps.map((s) => s.unetMs),
    bareUnetMs,
    stepsUnetCpuMs: recorded.cpuMs,
    bareUnetCpuMs,
    threadCpuMs: recorded.threads,
    latents: Array.from(latents),
    ...memory()
  })
  await pipe.release()
}

async function main(): Promise<void> {
  // argv: node, tsx-bootstrap.mjs, this file, the job.
  const job = JSON.parse(process.argv[3] ?? '{}') as RealScaleJob
  try {
    if (job.kind === 'unet') await unetRuns(job)
    else await pipelineRun(job)
    await send({ type: 'done', ...memory() })
  } catch (error) {
    await send({ type: 'error', message: (error as Error).message })
  }
  process.disconnect?.()
}

void main()
