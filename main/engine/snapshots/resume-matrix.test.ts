import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PipelineRunState } from '../callbacks/callback-types'
import type { PipelineCallback } from '../callbacks/pipeline-callback'
import { SDCFGCutoffCallback, SDXLCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { CFGIntervalCallback } from '../callbacks/cfg-interval-callback'
import { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import { StopCallback } from '../callbacks/stop-callback'
import { encodePng } from '../output/png'
import type { DiffusionPipeline } from '../pipelines/diffusion-pipeline'
import type { CallOptions, PipelineOutput, StepRecord } from '../pipelines/pipeline-types'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { Generator } from '../random/generator'
import { createScheduler } from '../schedulers'
import type { SchedulerClassName } from '../../../shared/params'
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import type { StableDiffusionXLPipeline } from '../pipelines/stable-diffusion-xl-pipeline'
import { openSd, openSdxl } from '../testing/pipeline-fixtures'
import { parseRunSnapshot, serializeRunSnapshot } from './snapshot-file'

/**
 * The bit-exact resume matrix: a run stopped after step k (StopCallback), written to a snapshot
 * file, read back and continued gives the uninterrupted run's final latents and PNG bytes, bit
 * for bit: every scheduler the engine has (with and without Karras sigmas where the class has
 * them, DDIM with eta 0.5, DPM++ 2M SDE through algorithm_type, PNDM with its Runge–Kutta
 * warm-up), CFG on, a CFG cutoff before and after k (and a guidance interval), two images for
 * each of two prompts, SD and SDXL. The models are the tiny random fixtures: same code paths,
 * milliseconds.
 */

interface SchedulerCase {
  label: string
  className: SchedulerClassName
  overrides?: Record<string, unknown>
  eta?: number
}

const KARRAS = { use_karras_sigmas: true }
const SDE = { algorithm_type: 'sde-dpmsolver++' }

const SCHEDULERS: SchedulerCase[] = [
  { label: 'DPM++ 2M', className: 'DPMSolverMultistepScheduler' },
  { label: 'DPM++ 2M Karras', className: 'DPMSolverMultistepScheduler', overrides: KARRAS },
  { label: 'DPM++ 2M SDE', className: 'DPMSolverMultistepScheduler', overrides: SDE },
  {
    label: 'DPM++ 2M SDE Karras',
    className: 'DPMSolverMultistepScheduler',
    overrides: { ...SDE, ...KARRAS }
  },
  { label: 'Euler', className: 'EulerDiscreteScheduler' },
  { label: 'Euler Karras', className: 'EulerDiscreteScheduler', overrides: KARRAS },
  { label: 'Euler a', className: 'EulerAncestralDiscreteScheduler' },
  { label: 'DDIM', className: 'DDIMScheduler' },
  { label: 'DDIM eta 0.5', className: 'DDIMScheduler', eta: 0.5 },
  { label: 'PNDM (PLMS)', className: 'PNDMScheduler' },
  {
    label: 'PNDM with Runge–Kutta',
    className: 'PNDMScheduler',
    overrides: { skip_prk_steps: false }
  },
  { label: 'LMS', className: 'LMSDiscreteScheduler' },
  { label: 'LMS Karras', className: 'LMSDiscreteScheduler', overrides: KARRAS },
  { label: 'LCM', className: 'LCMScheduler' },
  { label: 'UniPC', className: 'UniPCMultistepScheduler' },
  { label: 'UniPC Karras', className: 'UniPCMultistepScheduler', overrides: KARRAS },
  { label: 'Heun', className: 'HeunDiscreteScheduler' },
  { label: 'Heun Karras', className: 'HeunDiscreteScheduler', overrides: KARRAS },
  { label: 'KDPM2', className: 'KDPM2DiscreteScheduler' },
  { label: 'KDPM2 Karras', className: 'KDPM2DiscreteScheduler', overrides: KARRAS },
  { label: 'KDPM2 a', className: 'KDPM2AncestralDiscreteScheduler' },
  { label: 'KDPM2 a Karras', className: 'KDPM2AncestralDiscreteScheduler', overrides: KARRAS },
  { label: 'DPM singlestep', className: 'DPMSolverSinglestepScheduler' },
  { label: 'DPM singlestep Karras', className: 'DPMSolverSinglestepScheduler', overrides: KARRAS },
  { label: 'DEIS', className: 'DEISMultistepScheduler' },
  { label: 'DEIS Karras', className: 'DEISMultistepScheduler', overrides: KARRAS },
  { label: 'TCD', className: 'TCDScheduler', eta: 0.3 }
]

/** Where guidance runs, relative to the stop step k. */
type Guidance =
  'cfg to the end' | 'cutoff before k' | 'cutoff after k' | 'interval around k' | 'interval after k'

const STEPS = 5

/** Bytes of a float32 array, for exact comparison. */
function bytes(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

function pngs(images: RgbaImage[]): Buffer[] {
  return images.map((image) => encodePng(image))
}

function finalLatents(out: PipelineOutput): Buffer {
  const latents = out.snapshot?.tensors.latents
  if (latents === undefined || latents === null) throw new Error('the run kept no snapshot')
  return bytes(latents.data)
}

/** What a step did, without its timings. */
function shape(s: StepRecord): unknown {
  return [s.index, s.timestep, s.unetBatch, s.cfg, s.guidanceScale]
}

interface Run {
  // Method syntax: either pipeline's call takes these options (no plain-function callbacks).
  pipe: DiffusionPipeline & {
    call(options: CallOptions<'image', PipelineRunState, never>): Promise<PipelineOutput>
  }
  family: 'sd' | 'sdxl'
}

function guidanceCallback(
  family: 'sd' | 'sdxl',
  guidance: Guidance,
  k: number
): PipelineCallback | null {
  const Cutoff = family === 'sd' ? SDCFGCutoffCallback : SDXLCFGCutoffCallback
  switch (guidance) {
    case 'cfg to the end':
      return null
    case 'cutoff before k':
      return new Cutoff({ cutoffStepRatio: null, cutoffStepIndex: k - 1 })
    case 'cutoff after k':
      return new Cutoff({ cutoffStepRatio: null, cutoffStepIndex: k + 1 })
    case 'interval around k':
      return new CFGIntervalCallback({ startStepIndex: k - 1, endStepIndex: k + 2, family })
    case 'interval after k':
      return new CFGIntervalCallback({ startStepIndex: k + 1, endStepIndex: k + 3, family })
  }
}

/**
 * Runs `c` once through, once stopped after step k, and continues the stopped run from its
 * snapshot file; returns the three outputs.
 */
async function stopAndContinue(
  run: Run,
  c: SchedulerCase,
  guidance: Guidance,
  k: number
): Promise<{ whole: PipelineOutput; stopped: PipelineOutput; continued: PipelineOutput }> {
  const { pipe, family } = run
  const configure = (): void => {
    pipe.scheduler = createScheduler(c.className, pipe.folder.schedulerConfig, c.overrides)
  }
  const common = {
    prompt: ['a red circle on a blue background', 'a small green square'],
    negativePrompt: ['blurry', 'a yellow triangle'],
    numInferenceSteps: STEPS,
    numImagesPerPrompt: 2,
    guidanceScale: 6,
    eta: c.eta
  }
  configure()
  const whole = (await pipe.call({
    ...common,
    generator: new Generator().manualSeed(7),
    callbackOnStepEnd: guidanceCallback(family, guidance, k)
  })) as PipelineOutput
  configure()
  const stop = new StopCallback({ stopAtStepIndex: k })
  const cutoff = guidanceCallback(family, guidance, k)
  const stopped = (await pipe.call({
    ...common,
    generator: new Generator().manualSeed(7),
    callbackOnStepEnd: new MultiPipelineCallbacks(cutoff === null ? [stop] : [cutoff, stop])
  })) as PipelineOutput
  const snapshot = stopped.snapshot
  if (snapshot === null) throw new Error('the stopped run kept no snapshot')
  // Through the file, as the app and the CLI keep it; and on a pipeline left in another state.
  const restored = parseRunSnapshot(serializeRunSnapshot(snapshot))
  pipe.scheduler = createScheduler('DDIMScheduler', pipe.folder.schedulerConfig)
  const continued = (await pipe.call({
    resumeFrom: restored,
    callbackOnStepEnd: guidanceCallback(family, guidance, k)
  })) as PipelineOutput
  return { whole, stopped, continued }
}

function expectSameRun(
  { whole, stopped, continued }: Awaited<ReturnType<typeof stopAndContinue>>,
  k: number
): void {
  expect(stopped.interrupted).toBe(true)
  expect(stopped.stepsRun).toBe(k + 1)
  expect(continued.resumedFromStep).toBe(k)
  expect(continued.interrupted).toBe(false)
  expect(continued.stepsRun).toBe(whole.stepsRun)
  expect(continued.steps.map(shape)).toEqual(whole.steps.slice(k + 1).map(shape))
  expect(finalLatents(continued).equals(finalLatents(whole))).toBe(true)
  const a = pngs(continued.images as RgbaImage[])
  const b = pngs(whole.images as RgbaImage[])
  expect(a.length).toBe(b.length)
  a.forEach((png, i) => expect(png.equals(b[i] as Buffer)).toBe(true))
}

let sd: StableDiffusionPipeline
let sdxl: StableDiffusionXLPipeline
beforeAll(async () => {
  sd = await openSd()
  sdxl = await openSdxl()
})
afterAll(async () => {
  await sd.release()
  await sdxl.release()
})

const GUIDANCE: Guidance[] = [
  'cfg to the end',
  'cutoff before k',
  'cutoff after k',
  'interval around k',
  'interval after k'
]

describe('SD: stopped after step k and continued == never stopped (latents and PNG bytes)', () => {
  const cases = SCHEDULERS.flatMap((c) => GUIDANCE.map((g, i) => [c.label, g, c, i] as const))
  it.each(cases)('%s, %s', async (_label, guidance, c, i) => {
    // Both halves of second-order steps (Heun, KDPM2) and both sides of PNDM's warm-up.
    const k = 2 + (i % 2)
    const result = await stopAndContinue({ pipe: sd, family: 'sd' }, c, guidance, k)
    expectSameRun(result, k)
    const batches = result.whole.steps.map((s) => s.unetBatch)
    if (guidance === 'cfg to the end') expect(new Set(batches)).toEqual(new Set([8]))
    else expect(new Set(batches)).toEqual(new Set([4, 8]))
  })
})

describe('SDXL: stopped after step k and continued == never stopped', () => {
  // The seven schedulers of the first release, with and without Karras sigmas, DDIM with eta 0.5
  // and the SDE and second-order paths; the SD matrix above has every class.
  const labels = [
    'DPM++ 2M',
    'DPM++ 2M Karras',
    'DPM++ 2M SDE Karras',
    'Euler',
    'Euler Karras',
    'Euler a',
    'DDIM',
    'DDIM eta 0.5',
    'PNDM (PLMS)',
    'LMS',
    'LMS Karras',
    'LCM',
    'Heun'
  ]
  const cases = SCHEDULERS.filter((c) => labels.includes(c.label)).flatMap((c) =>
    GUIDANCE.map((g, i) => [c.label, g, c, i] as const)
  )
  it.each(cases)('%s, %s', async (_label, guidance, c, i) => {
    const k = 2 + (i % 2)
    const result = await stopAndContinue({ pipe: sdxl, family: 'sdxl' }, c, guidance, k)
    expectSameRun(result, k)
    const batches = result.whole.steps.map((s) => s.unetBatch)
    if (guidance === 'cfg to the end') expect(new Set(batches)).toEqual(new Set([8]))
    else expect(new Set(batches)).toEqual(new Set([4, 8]))
  })
})
