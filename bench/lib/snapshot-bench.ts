import { performance } from 'node:perf_hooks'
import {
  AutoPipelineForText2Image,
  createScheduler,
  Generator,
  parseRunSnapshot,
  serializeRunSnapshot
} from '../../main/engine'
import type { RunSnapshot } from '../../main/engine'
import { BENCH_PROMPT } from './run-config'
import { median, percentile } from './stats'

/** Item 8: what keeping a run's state after every step costs. */
export interface SnapshotResult {
  /** Median time of `info.snapshot()` at the end of a step (ms), over every step of every run. */
  captureMsPerStep: number
  /** Its 95th percentile. */
  captureMsP95: number
  details: {
    width: number
    height: number
    latentWidth: number
    latentHeight: number
    steps: number
    /** Median capture time per scheduler (ms): Euler keeps sigmas, DPM++ 2M two model outputs. */
    captureMsBySchedulers: Record<string, number>
    /** One snapshot written to a file's bytes and read back (ms), and its size (bytes). */
    serializeMs: number
    parseMs: number
    fileBytes: number
  }
}

/** How much to run for item 8. */
export interface SnapshotPlan {
  width: number
  height: number
  steps: number
  seed: number
}

const SCHEDULERS = ['EulerDiscreteScheduler', 'DPMSolverMultistepScheduler'] as const

/**
 * Runs the engine in this process at 512×512 (64×64 latents) with guidance, taking a snapshot at
 * the end of every step as the app's inference process does, and times each capture on its own
 * (`performance.now()` around `info.snapshot()`); then writes one snapshot to a file's bytes and
 * reads it back. The capture copies the latents and the scheduler's arrays and shares the
 * conditioning, so it should stay far below a step.
 */
export async function runSnapshotBench(
  modelDir: string,
  plan: SnapshotPlan,
  log: (line: string) => void
): Promise<SnapshotResult> {
  const pipe = await AutoPipelineForText2Image.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  const all: number[] = []
  const bySchedulers: Record<string, number> = {}
  let last: RunSnapshot | null = null
  try {
    for (const name of SCHEDULERS) {
      pipe.scheduler = createScheduler(name, pipe.folder.schedulerConfig)
      const times: number[] = []
      await pipe.call({
        prompt: BENCH_PROMPT,
        numInferenceSteps: plan.steps,
        width: plan.width,
        height: plan.height,
        guidanceScale: 7.5,
        generator: new Generator().manualSeed(plan.seed),
        outputType: 'latent',
        onStepEnd: (info) => {
          const start = performance.now()
          last = info.snapshot()
          times.push(performance.now() - start)
        }
      })
      bySchedulers[name] = median(times)
      all.push(...times)
      log(`  ${name}: snapshot ${median(times).toFixed(3)} ms per step (median of ${times.length})`)
    }
  } finally {
    await pipe.release()
  }
  const snapshot = last as RunSnapshot | null
  if (snapshot === null) throw new Error('no step ran, so no snapshot was taken')
  let start = performance.now()
  const bytes = serializeRunSnapshot(snapshot)
  const serializeMs = performance.now() - start
  start = performance.now()
  parseRunSnapshot(bytes)
  const parseMs = performance.now() - start
  const latent = snapshot.tensors.latents?.dims ?? []
  return {
    captureMsPerStep: median(all),
    captureMsP95: percentile(all, 95),
    details: {
      width: plan.width,
      height: plan.height,
      latentWidth: latent[3] ?? 0,
      latentHeight: latent[2] ?? 0,
      steps: plan.steps,
      captureMsBySchedulers: bySchedulers,
      serializeMs,
      parseMs,
      fileBytes: bytes.byteLength
    }
  }
}
