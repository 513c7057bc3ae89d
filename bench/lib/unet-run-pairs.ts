import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { InferenceSession, Tensor } from 'onnxruntime-node'

/**
 * The pipeline's UNet `session.run` paired with a bare `session.run` on the same session and a
 * copy of the same feeds, for `npm run bench -- --real-scale` (see bench/README.md, issue 18).
 * The two runs of a pair are back to back, and their order alternates from pair to pair (ABBA:
 * pipeline first, then bare first, …), so neither side always runs second, on caches and an
 * arena the other just warmed.
 */

type Feeds = Record<string, Tensor>
type RunFn = (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) => Promise<unknown>

/** One pair: wall and CPU ms of the pipeline's run and of the bare run. */
export interface RunPair {
  /** Which ran first. */
  first: 'pipeline' | 'bare'
  pipelineMs: number
  pipelineCpuMs: number
  bareMs: number
  bareCpuMs: number
}

/** Every pair of a generation, and CPU ms by thread name on each side. */
export interface UnetRunPairs {
  pairs: RunPair[]
  threads: { pipeline: Record<string, number>; bare: Record<string, number> }
}

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

/** Runs `run` and returns its wall and process CPU ms, adding per-thread CPU into `threads`. */
async function timed<T>(
  run: () => Promise<T>,
  threads: Record<string, number>
): Promise<{ result: T; ms: number; cpuMs: number }> {
  const before = threadCpu()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const result = await run()
  const ms = performance.now() - t0
  const used = process.cpuUsage(cpu)
  for (const [name, threadMs] of threadCpu()) {
    const delta = threadMs - (before.get(name) ?? 0)
    if (delta > 0) threads[name] = (threads[name] ?? 0) + delta
  }
  return { result, ms, cpuMs: (used.user + used.system) / 1000 }
}

/**
 * Runs `during` with a pass-through on `InferenceSession.prototype.run`: every UNet run (the
 * feeds hold `sample` and `encoder_hidden_states`) becomes a pair with a bare run on a copy of
 * its feeds. The bare run's time lands inside the engine's own step and UNet timings; callers
 * subtract {@link RunPair.bareMs} from them (the pipeline's own `session.run` time is
 * {@link RunPair.pipelineMs}).
 */
export async function pairUnetRuns(during: () => Promise<void>): Promise<UnetRunPairs> {
  const proto = (InferenceSession as unknown as { prototype: { run: RunFn } }).prototype
  const original = proto.run
  const recorded: UnetRunPairs = { pairs: [], threads: { pipeline: {}, bare: {} } }
  proto.run = async function (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) {
    if (!('sample' in feeds && 'encoder_hidden_states' in feeds)) {
      return original.call(this, feeds, ...rest)
    }
    const copy: Feeds = {}
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.data as Float32Array
      copy[name] = new Tensor(t.type as 'float32', data.slice(), [...t.dims])
    }
    const pipeline = (): ReturnType<typeof timed<unknown>> =>
      timed(() => original.call(this, feeds, ...rest), recorded.threads.pipeline)
    const bare = (): ReturnType<typeof timed<unknown>> =>
      timed(() => original.call(this, copy), recorded.threads.bare)
    const first = recorded.pairs.length % 2 === 0 ? 'pipeline' : 'bare'
    let own: Awaited<ReturnType<typeof pipeline>>
    let alone: Awaited<ReturnType<typeof bare>>
    if (first === 'pipeline') {
      own = await pipeline()
      alone = await bare()
    } else {
      alone = await bare()
      own = await pipeline()
    }
    recorded.pairs.push({
      first,
      pipelineMs: own.ms,
      pipelineCpuMs: own.cpuMs,
      bareMs: alone.ms,
      bareCpuMs: alone.cpuMs
    })
    return own.result
  }
  try {
    await during()
  } finally {
    proto.run = original
  }
  return recorded
}
