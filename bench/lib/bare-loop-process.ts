import { performance } from 'node:perf_hooks'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { AutoPipelineForText2Image, createScheduler, Generator } from '../../main/engine'
import type { BareLoopCommand, BareLoopReply } from './bare-loop-protocol'
import { BENCH_PROMPT, BENCH_SCHEDULER } from './run-config'
import type { RunConfig } from './run-config'

/**
 * The bare loop of the raw-loop ratio: the UNet's `session.run` called T times in a row and
 * nothing else. Started by bare-loop.ts as a child process, so that it runs in the same kind of
 * process as the app's inference process and not beside the benchmark's own work.
 *
 * "The same inputs, the same session options": one real pipeline run of the same request
 * (prompt, seed, size, steps, scheduler) is made here with the engine, and the UNet session it
 * used is kept together with the feeds onnxruntime received at every step (after the engine's
 * casts). The bare loop then replays those feeds on that very session, so its options are the
 * engine's own (`sessionOptionsFor`) and it is as warmed up as the pipeline's. Recording wraps
 * `InferenceSession.prototype.run` with a pass-through that copies the UNet's feeds; the wrapper
 * is removed before anything is timed.
 */

/** A UNet run's inputs by name. */
type Feeds = Record<string, Tensor>
type RunFn = (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) => Promise<unknown>

function send(reply: BareLoopReply): void {
  process.send?.(reply)
}

function copyTensor(t: Tensor): Tensor {
  const data = t.data as Float32Array | BigInt64Array | Int32Array
  return new Tensor(t.type as 'float32', data.slice() as Float32Array, [...t.dims])
}

/** The UNet session of a pipeline run and the feeds it received at each step. */
interface Recording {
  session: InferenceSession | null
  feeds: Feeds[]
}

/** Runs `during` and records every UNet run it made (runs with `sample` and text conditioning). */
async function recordUnetRuns(during: () => Promise<void>): Promise<Recording> {
  const proto = (InferenceSession as unknown as { prototype: { run: RunFn } }).prototype
  const original = proto.run
  const recording: Recording = { session: null, feeds: [] }
  proto.run = function (this: InferenceSession, feeds: Feeds, ...rest: unknown[]) {
    if ('sample' in feeds && 'encoder_hidden_states' in feeds) {
      const copy: Feeds = {}
      for (const [name, t] of Object.entries(feeds)) copy[name] = copyTensor(t)
      recording.feeds.push(copy)
      recording.session = this
    }
    return original.call(this, feeds, ...rest)
  }
  try {
    await during()
  } finally {
    proto.run = original
  }
  return recording
}

let pipeline: Awaited<ReturnType<typeof AutoPipelineForText2Image.fromPretrained>> | null = null
let recording: Recording = { session: null, feeds: [] }

async function prepare(modelDir: string, config: RunConfig): Promise<void> {
  // One pipeline at a time: a second size prepares after the first one's sessions are freed.
  await pipeline?.release()
  const pipe = await AutoPipelineForText2Image.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  pipeline = pipe
  pipe.scheduler = createScheduler(BENCH_SCHEDULER, pipe.scheduler.config)
  recording = await recordUnetRuns(async () => {
    await pipe.call({
      prompt: BENCH_PROMPT,
      negativePrompt: '',
      numInferenceSteps: config.steps,
      guidanceScale: config.guidanceScale,
      width: config.width,
      height: config.height,
      generator: new Generator().manualSeed(config.seed),
      outputType: 'latent'
    })
  })
  const first = recording.feeds[0] ?? {}
  const feedShapes: Record<string, number[]> = {}
  for (const [name, t] of Object.entries(first)) feedShapes[name] = [...t.dims]
  send({ type: 'ready', steps: recording.feeds.length, feedShapes })
}

async function run(): Promise<void> {
  const session = recording.session
  if (session === null) throw new Error('prepare first')
  const iterationMs: number[] = []
  const start = performance.now()
  for (const feeds of recording.feeds) {
    const t0 = performance.now()
    await session.run(feeds)
    iterationMs.push(performance.now() - t0)
  }
  send({ type: 'ran', totalMs: performance.now() - start, iterationMs })
}

process.on('message', (message: BareLoopCommand) => {
  const work = message.type === 'prepare' ? prepare(message.modelDir, message.config) : run()
  work.catch((error: unknown) =>
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  )
})
process.on('disconnect', () => process.exit(0))
