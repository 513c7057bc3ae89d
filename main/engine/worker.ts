import { parentPort } from 'node:worker_threads'
import type { GenerationRun } from './worker/generation-hooks'
import { PipelineCache } from './worker/pipeline-cache'
import { startGeneration } from './worker/run-generation'
import type { WorkerCommand, WorkerEvent } from './worker-protocol'

/**
 * The inference worker thread (built to out/main/worker.js). onnxruntime-node's `session.run()`
 * blocks its thread, so generations run here and the main process stays responsive. It executes
 * {@link WorkerCommand}s one job at a time and answers with {@link WorkerEvent}s; preview and
 * image pixels are transferred, not copied. Stop and cutoff messages are handled between steps:
 * the denoising loop yields to this thread's event loop before each step.
 */

if (parentPort === null) throw new Error('main/engine/worker.ts must run in a worker thread')
const port = parentPort
const cache = new PipelineCache()
let active: { jobId: string; run: GenerationRun } | null = null
let releaseAfterJob = false

function send(event: WorkerEvent, transfer: ArrayBuffer[] = []): void {
  port.postMessage(event, transfer)
}

function runJob(jobId: string, command: Extract<WorkerCommand, { type: 'generate' }>): void {
  const run = startGeneration(
    command.request,
    {
      phase: (phase) => send({ type: 'state', jobId, phase }),
      step: (step) => send({ type: 'step', jobId, step }, step.preview ? [step.preview.rgba] : []),
      cutoff: (report) => send({ type: 'cutoff', jobId, report }),
      warning: (message) => send({ type: 'warning', jobId, message })
    },
    cache
  )
  active = { jobId, run }
  run.result
    .then(
      (result) => {
        active = null
        send(
          { type: 'done', jobId, result },
          result.images.map((image) => image.rgba)
        )
      },
      (error: unknown) => {
        active = null
        send({
          type: 'failed',
          jobId,
          message: error instanceof Error ? error.message : String(error)
        })
      }
    )
    .finally(() => {
      if (releaseAfterJob) {
        releaseAfterJob = false
        void cache.release()
      }
    })
}

port.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'generate':
      if (active !== null) {
        // Main queues jobs; a second one here is a bug there, answered rather than dropped.
        send({
          type: 'failed',
          jobId: command.jobId,
          message: `the inference worker is busy with job ${active.jobId}`
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
    case 'release':
      if (active !== null) releaseAfterJob = true
      else void cache.release()
      return
  }
})
