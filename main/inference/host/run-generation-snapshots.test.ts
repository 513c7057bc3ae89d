import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunSnapshot } from '../../engine'
import type { GenerationRequest, GenerationResult } from '../protocol'
import type { GenerationHooks, GenerationRun } from './generation-hooks'
import { PipelineCache } from './pipeline-cache'
import { startGeneration } from './run-generation'

/**
 * The run state a generation keeps while it goes, as the inference process and the CLI use it:
 * `snapshot(step)` for every step that ran (to branch from), `lastSnapshot()` for the state after
 * the last one (what a stopped run continues from), and a continued run from that state giving
 * the uninterrupted run's pixels.
 */
const MODEL = path.resolve(__dirname, '../../../fixtures/models/tiny-sd-random')
const cache = new PipelineCache()
afterAll(() => cache.release())

const REQUEST: GenerationRequest = {
  modelDir: MODEL,
  provider: 'cpu',
  prompt: 'a red circle on a blue background',
  negativePrompt: 'blurry',
  numInferenceSteps: 6,
  guidanceScale: 6,
  guidanceRescale: 0,
  seed: 11,
  scheduler: 'EulerAncestralDiscreteScheduler',
  useKarrasSigmas: false,
  cfgCutoff: null,
  cfgInterval: null,
  stopAtStep: null,
  previewEvery: 1,
  numImagesPerPrompt: 2
}

/** Starts a generation; `onStep` sees the run's controls after each step's report. */
function generate(
  request: GenerationRequest,
  onStep: (run: GenerationRun, index: number) => void = () => undefined
): { run: GenerationRun; result: Promise<GenerationResult> } {
  let run: GenerationRun | null = null
  const hooks: GenerationHooks = {
    phase: () => undefined,
    step: (step) => {
      if (run !== null) onStep(run, step.index)
    },
    cutoff: () => undefined,
    warning: () => undefined
  }
  run = startGeneration(request, hooks, cache)
  return { run, result: run.result }
}

function pixels(result: GenerationResult): Buffer[] {
  return result.images.map((image) => Buffer.from(image.rgba))
}

describe('a generation’s kept run state', () => {
  it('has a snapshot for every step that ran, and the last one continues to the uninterrupted image', async () => {
    const whole = await generate(REQUEST).result

    const seen: Array<number | null> = []
    const stopped = generate(REQUEST, (run, index) => {
      // The step's state is kept before its report goes out.
      seen.push(run.lastSnapshot()?.step ?? null)
      if (index === 2) run.stop()
    })
    expect(stopped.run.lastSnapshot()).toBeNull()
    const cut = await stopped.result
    expect(cut.interrupted).toBe(true)
    expect(cut.stepsRun).toBe(3)
    expect(seen).toEqual([0, 1, 2])
    const last = stopped.run.lastSnapshot() as RunSnapshot
    expect(last.step).toBe(2)
    expect(stopped.run.snapshot(2)).toBe(last)
    expect(stopped.run.snapshot(0)?.step).toBe(0)
    expect(stopped.run.snapshot(3)).toBeNull()
    // A stopped run's result carries its last state by default.
    expect(cut.snapshots).toEqual([last])

    const continued = await generate({ ...REQUEST, resumeFrom: last }).result
    expect(continued.resumedFromStep).toBe(2)
    expect(continued.interrupted).toBe(false)
    const a = pixels(continued)
    const b = pixels(whole)
    expect(a).toHaveLength(2)
    a.forEach((image, i) => expect(image.equals(b[i] as Buffer)).toBe(true))
  })
})
