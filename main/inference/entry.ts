import { env as ortEnv } from 'onnxruntime-node'
import { probeWebGpuAdapter } from '../engine'
import type { GenerationRun } from './host/generation-hooks'
import { openParentChannel } from './host/parent-channel'
import { PipelineCache } from './host/pipeline-cache'
import { decodeState, reloadModel } from './host/decode-state'
import { startGeneration } from './host/run-generation'
import { StepStateJournalWriter } from './step-state-journal'
import type { InferenceCommand, InferenceEvent, InferenceStep } from './protocol'

/**
 * The inference process (built to out/main/inference.js), started by main with
 * `utilityProcess.fork` in Electron or `child_process.fork` in Node. onnxruntime-node's
 * `session.run()` blocks its thread, and a native abort or out-of-memory inside onnxruntime
 * ends its whole process; here that costs one job, never the app. It executes
 * {@link InferenceCommand}s one job at a time and answers with {@link InferenceEvent}s. Stop and
 * cutoff messages are handled between steps: the denoising loop yields to this process's event
 * loop before each step.
 */

// onnxruntime logs a failed provider (e.g. `auto` trying CUDA without its libraries) as a
// multi-line native error on the stderr this process shares with its parent (the CLI's, in a
// terminal); the engine reports the fallback as one warning instead.
ortEnv.logLevel = 'fatal'

/** The line to main, and the pipeline kept loaded between jobs. */
const channel = openParentChannel()
// Set by main (the data folder's graph-pass-cache/): a model's attention check runs on its first
// load only, not on every start of this process.
const cache = new PipelineCache({
  graphPassCacheDir: process.env['STEPWISE_GRAPH_PASS_CACHE_DIR'] || undefined
})
let active: { jobId: string; run: GenerationRun } | null = null
/** The last finished job, whose step snapshots stay in memory to branch from. */
let previous: { jobId: string; run: GenerationRun } | null = null
let releaseAfterJob = false

// Pixel buffers are copied by the structured clone: 16 KiB for a linear preview at 512×512,
// 1 MiB for a full-size (tiny or VAE) one.
function send(event: InferenceEvent): void {
  channel.send(event)
}

/**
 * Messages larger than this wait until they have left the process before the next step runs.
 * Under `child_process.fork` a message goes into a pipe whose kernel buffer holds 64 KiB; the rest
 * is written by this process's event loop, which the next step's `session.run` blocks for the
 * whole step. Without the wait a full-size preview (1 MiB at 512×512) reached main one step late
 * (measured: latency ≈ one step, seconds at 512×512). Linear previews (16 KiB) fit the buffer.
 */
const WAIT_FOR_SEND_BYTES = 32 * 1024

/** Sends a step; resolves once a large preview has left the process (fork only). */
function sendStep(jobId: string, step: InferenceStep): Promise<void> | undefined {
  const big = (step.preview?.rgba.byteLength ?? 0) >= WAIT_FOR_SEND_BYTES
  // A utility process's postMessage hands the message to Electron's IPC (Mojo), which writes it
  // from its own IO thread; not measured here (the tests and the bench use the fork transport).
  if (!big || channel.kind !== 'fork') {
    send({ type: 'step', jobId, step })
    return undefined
  }
  return new Promise((resolve) => channel.send({ type: 'step', jobId, step }, resolve))
}

/** Answers `decode-state`: the stopped run's image first, then the rest of the model loads. */
async function decodeAndReload(
  command: Extract<InferenceCommand, { type: 'decode-state' }>
): Promise<void> {
  const { requestId, request, snapshot } = command
  const reason = (error: unknown): string =>
    error instanceof Error ? error.message : String(error)
  if (snapshot === null) {
    channel.send({ type: 'decoded', requestId, decoded: null, reason: 'no step had finished' })
  } else {
    try {
      const decoded = await decodeState(request, snapshot, cache)
      channel.send({ type: 'decoded', requestId, decoded })
    } catch (error) {
      channel.send({ type: 'decoded', requestId, decoded: null, reason: reason(error) })
    }
  }
  try {
    await reloadModel(request, cache)
    channel.send({ type: 'reloaded', requestId })
  } catch (error) {
    channel.send({ type: 'reloaded', requestId, reason: reason(error) })
  }
}

// Main went away (killed, crashed, or quit without ending us): nobody can use our results.
channel.onParentGone(() => process.exit(0))

// An uncaught error leaves this process in an unknown state: say why, then die; main fails the
// running job with this message and starts a fresh process for the next one.
let dying = false
process.on('uncaughtException', (error) => {
  if (dying) return
  dying = true
  channel.send(
    { type: 'fatal', message: error instanceof Error ? error.message : String(error) },
    () => process.exit(70)
  )
})

function runJob(jobId: string, command: Extract<InferenceCommand, { type: 'generate' }>): void {
  const journal =
    command.stepStateJournal === undefined
      ? null
      : new StepStateJournalWriter(command.stepStateJournal)
  const run = startGeneration(
    command.request,
    {
      phase: (phase) => send({ type: 'state', jobId, phase }),
      loadProgress: (progress) => send({ type: 'load-progress', jobId, progress }),
      step: (step) => sendStep(jobId, step),
      ...(journal === null
        ? {}
        : {
            stepState: (snapshot) => {
              const problem = journal.append(snapshot)
              if (problem !== null) send({ type: 'warning', jobId, message: problem })
            }
          }),
      cutoff: (report) => send({ type: 'cutoff', jobId, report }),
      warning: (message) => send({ type: 'warning', jobId, message })
    },
    cache
  )
  active = { jobId, run }
  run.result
    .then(
      (result) => {
        previous = active
        active = null
        send({ type: 'done', jobId, result })
      },
      (error: unknown) => {
        previous = active
        active = null
        send({
          type: 'failed',
          jobId,
          message: error instanceof Error ? error.message : String(error)
        })
      }
    )
    .finally(() => {
      journal?.close()
      if (releaseAfterJob) {
        releaseAfterJob = false
        void cache.release()
      }
    })
}

channel.onCommand((command: InferenceCommand) => {
  switch (command.type) {
    case 'generate':
      if (active !== null) {
        // Main queues jobs; a second one here is a bug there, answered rather than dropped.
        send({
          type: 'failed',
          jobId: command.jobId,
          message: `the inference process is busy with job ${active.jobId}`
        })
        return
      }
      runJob(command.jobId, command)
      return
    case 'stop':
      if (active?.jobId === command.jobId) active.run.stop()
      return
    case 'set-cfg-cutoff':
      if (active?.jobId === command.jobId) {
        send({
          type: 'cutoff',
          jobId: command.jobId,
          report: active.run.setCfgCutoff(command.cutoff)
        })
      }
      return
    case 'set-cfg-interval':
      if (active?.jobId === command.jobId) {
        send({
          type: 'cutoff',
          jobId: command.jobId,
          report: active.run.setCfgInterval(command.interval)
        })
      }
      return
    case 'set-guidance-scale':
      if (active?.jobId === command.jobId) {
        send({
          type: 'cutoff',
          jobId: command.jobId,
          report: active.run.setGuidanceScale(command.guidanceScale)
        })
      }
      return
    case 'get-snapshot': {
      const holder = [active, previous].find((j) => j?.jobId === command.jobId) ?? null
      const snapshot = holder?.run.snapshot(command.step) ?? null
      channel.send({
        type: 'snapshot',
        requestId: command.requestId,
        snapshot,
        ...(snapshot !== null
          ? {}
          : {
              reason:
                holder === null
                  ? `the steps of job ${command.jobId} are no longer in memory (another run has started since, or the app restarted)`
                  : `job ${command.jobId} has not finished step ${command.step + 1}`
            })
      })
      return
    }
    case 'decode-state':
      void decodeAndReload(command)
      return
    case 'release':
      if (active !== null) releaseAfterJob = true
      else void cache.release()
      return
    case 'probe-webgpu':
      void probeWebGpuAdapter().then((probe) =>
        channel.send({ type: 'webgpu', requestId: command.requestId, ...probe })
      )
      return
    case 'status':
      void cache.loaded().then((loaded) =>
        channel.send({
          type: 'status',
          requestId: command.requestId,
          status: { rssBytes: process.memoryUsage().rss, ...loaded }
        })
      )
      return
  }
})
