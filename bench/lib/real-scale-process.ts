import { readFileSync, writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Tensor } from 'onnxruntime-node'
import {
  AutoPipelineForText2Image,
  ComponentSessions,
  Generator,
  openModelFolder
} from '../../main/engine'
import type { RealScaleJob, RealScaleMessage } from './real-scale-protocol'
import { pairUnetRuns } from './unet-run-pairs'

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

/**
 * Resets this process's peak resident set (VmHWM) to its current RSS, so that a later reading is
 * the peak of what ran since (Linux 4.0+, `clear_refs` 5). False where that is not possible.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
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
  // From here the peak is the generation's own (the load's was just reported).
  resetPeakRss()
  const t = performance.now()
  let latents: Float32Array = new Float32Array(0)
  // The whole generation, decode included, as the CLI runs it; the final latents are kept for
  // comparing fused and exported graphs (the image's 8-bit pixels would hide the difference).
  let out: Awaited<ReturnType<typeof pipe.call>> | null = null
  // What the UNet still holds when the VAE decode starts: RSS after the last step, then the
  // peak from there (the decode's own, with whatever the UNet's session kept). Step messages'
  // peaks are the denoising's.
  let beforeDecode: { rssBytes: number; peakRssBytes: number } | null = null
  let decodePeakMeasured = false
  const generate = async (): Promise<void> => {
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
        const now = memory()
        await send({ type: 'step', index: info.index, ms: info.ms, ...now })
        if (info.index === info.numTimesteps - 1) {
          beforeDecode = now
          decodePeakMeasured = resetPeakRss()
        }
      }
    })
  }
  // `--no-pairs`: the generation alone (no bare runs), for memory figures in half the time.
  const recorded =
    job.pairs === false
      ? await generate().then(() => ({ pairs: [], threads: { pipeline: {}, bare: {} } }))
      : await pairUnetRuns(generate)
  const after = memory()
  const bareTotal = recorded.pairs.reduce((a, p) => a + p.bareMs, 0)
  const ms = performance.now() - t - bareTotal
  const output = out as unknown as Awaited<ReturnType<typeof pipe.call>>
  const held = beforeDecode as { rssBytes: number; peakRssBytes: number } | null
  await send({
    type: 'pipeline',
    ms,
    unetMs: output.unetMs - bareTotal,
    // The engine's step times include the bare run paired with the step's UNet run.
    stepsMs: output.steps.map((s, i) => s.ms - (recorded.pairs[i]?.bareMs ?? 0)),
    pairs: recorded.pairs,
    threadCpuMs: recorded.threads,
    latents: Array.from(latents),
    rssBeforeDecodeBytes: held?.rssBytes ?? null,
    decodePeakRssBytes: decodePeakMeasured ? after.peakRssBytes : null,
    ...after,
    // The whole run's peak: the decode's, or the denoising peak read before the reset.
    peakRssBytes: Math.max(after.peakRssBytes, held?.peakRssBytes ?? 0)
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
