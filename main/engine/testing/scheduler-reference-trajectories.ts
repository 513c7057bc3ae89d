import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { Generator } from '../random/generator'
import { randnTensor } from '../random/randn-tensor'
import { f32 } from '../schedulers/numpy-compat'
import type { Scheduler, SchedulerStepOptions } from '../schedulers/scheduler'
import { floatData, makeTensor } from '../schedulers/tensor-ops'

/**
 * Test support: replays the sampling loops recorded from diffusers' scheduler classes by
 * tools/reference/make_scheduler_reference.py on a Stepwise scheduler and measures the error at
 * every step. Not used by the app.
 */

/** `[max |x|, sum, dot(x, P), selected values...]` of one tensor, as recorded. */
export type Summary = number[]

/** One step of a recorded loop. */
export interface TraceStep {
  t: number
  prev: Summary
  input?: Summary
  x0?: Summary
  denoised?: Summary
  /** TCD's `pred_noised_sample`. */
  noised?: Summary
}

/** One recorded run: set_timesteps(steps) and the loop, or the error diffusers raised. */
export interface ReferenceRun {
  steps: number
  error?: string
  timesteps?: number[]
  /** "float64" where diffusers' timesteps are float64 (KDPM2 with Karras / exponential sigmas). */
  timestepsDtype?: 'float64'
  sigmas?: number[]
  initNoiseSigma?: number
  order?: number
  initial?: Summary
  trace?: TraceStep[]
  final?: number[]
}

/** One config variant with its runs. */
export interface ReferenceVariant {
  name: string
  input: Record<string, unknown>
  stepKwargs: Record<string, number>
  config: Record<string, unknown>
  alphasCumprod: Record<string, number>
  runs: ReferenceRun[]
}

/** A fixtures/<Class>.json file. */
export interface SchedulerReference {
  className: string
  diffusersVersion: string
  torchVersion: string
  numpyVersion: string
  shape: number[]
  selected: number[]
  selectedFew: number[]
  seed: number
  variants: ReferenceVariant[]
}

/** Reads the diffusers reference data of one scheduler class. */
export function loadSchedulerReference(className: string): SchedulerReference {
  const path = join(__dirname, '..', 'schedulers', 'fixtures', `${className}.json`)
  return JSON.parse(readFileSync(path, 'utf8')) as SchedulerReference
}

/** The fixed pattern P of the reference "model". */
export function referencePattern(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, k) => ((k * 37) % 101) / 50 - 1)
}

/** The reference "model": 0.5 · input + P / (i + 1), in float32 like torch. */
export function referenceModel(input: Tensor, i: number, pattern: Float32Array): Tensor {
  const x = floatData(input, 'referenceModel')
  const c = f32(1 / (i + 1))
  const out = x.map((v, k) => f32(f32(0.5 * v) + f32(c * (pattern[k] as number))))
  return makeTensor(out, input.dims)
}

const STEP_KWARGS: Record<string, keyof SchedulerStepOptions> = {
  eta: 'eta',
  s_churn: 'sChurn',
  s_tmin: 'sTmin',
  s_tmax: 'sTmax',
  s_noise: 'sNoise'
}

/** Maps recorded diffusers step kwargs to {@link SchedulerStepOptions}. */
export function stepOptions(kwargs: Record<string, number>): SchedulerStepOptions {
  const options: Record<string, number> = {}
  for (const [key, value] of Object.entries(kwargs)) {
    const name = STEP_KWARGS[key]
    if (name === undefined) throw new Error(`no Stepwise step option for diffusers kwarg ${key}`)
    options[name] = value
  }
  return options as SchedulerStepOptions
}

/** Worst errors of a replayed run, each relative to the reference tensor's max |x|. */
export interface RunErrors {
  prev: number
  input: number
  x0: number
  /** TCD's pred_noised_sample. */
  noised: number
  final: number
  /** Steps whose summary (max |x|, sum, dot with P) disagreed beyond the tolerance. */
  summaryFailures: string[]
}

function compareSummary(
  got: Float32Array,
  ref: Summary,
  picks: number[],
  pattern: Float32Array,
  tolerance: number,
  label: string,
  failures: string[]
): number {
  const [absMax = 0, sum = 0, dot = 0] = ref
  const scale = Math.max(absMax, 1e-30)
  let worst = 0
  picks.forEach((index, k) => {
    const diff = Math.abs((got[index] as number) - (ref[3 + k] as number))
    worst = Math.max(worst, diff / scale)
  })
  let gotMax = 0
  let gotSum = 0
  let gotDot = 0
  got.forEach((v, i) => {
    gotMax = Math.max(gotMax, Math.abs(v))
    gotSum += v
    gotDot += v * (pattern[i] as number)
  })
  const n = got.length
  if (Math.abs(gotMax - absMax) > tolerance * scale) failures.push(`${label}: max |x|`)
  if (Math.abs(gotSum - sum) > tolerance * scale * n) failures.push(`${label}: sum`)
  if (Math.abs(gotDot - dot) > tolerance * scale * n) failures.push(`${label}: dot`)
  return worst
}

/**
 * Runs `scheduler` through the recorded loop of `run`: same seed, latents, model and step noise
 * as diffusers, comparing every step. Returns the worst relative errors.
 */
export function replayRun(
  scheduler: Scheduler,
  run: ReferenceRun,
  reference: SchedulerReference,
  variant: ReferenceVariant,
  tolerance: number
): RunErrors {
  const trace = run.trace ?? []
  const size = reference.shape.reduce((a, b) => a * b, 1)
  const pattern = referencePattern(size)
  const generator = new Generator().manualSeed(reference.seed)
  const noise = floatData(randnTensor(reference.shape, { generator }), 'latents')
  const sigma0 = f32(scheduler.initNoiseSigma)
  let latents = makeTensor(
    noise.map((v) => f32(v * sigma0)),
    reference.shape
  )
  const errors: RunErrors = {
    prev: 0,
    input: 0,
    x0: 0,
    noised: 0,
    final: 0,
    summaryFailures: []
  }
  const extra = stepOptions(variant.stepKwargs)
  if (scheduler.timesteps.length !== trace.length) {
    throw new Error(`${scheduler.timesteps.length} timesteps, reference has ${trace.length}`)
  }
  scheduler.timesteps.forEach((t, i) => {
    const ref = trace[i] as TraceStep
    const input = scheduler.scaleModelInput(latents, t)
    if (ref.input !== undefined) {
      const e = compareSummary(
        floatData(input, 'input'),
        ref.input,
        reference.selectedFew,
        pattern,
        tolerance,
        `step ${i} input`,
        errors.summaryFailures
      )
      errors.input = Math.max(errors.input, e)
    }
    const out = scheduler.step(referenceModel(input, i, pattern), t, latents, {
      ...extra,
      generator
    })
    latents = out.prevSample
    errors.prev = Math.max(
      errors.prev,
      compareSummary(
        floatData(out.prevSample, 'prev'),
        ref.prev,
        reference.selected,
        pattern,
        tolerance,
        `step ${i} prev`,
        errors.summaryFailures
      )
    )
    const refX0 = ref.x0 ?? ref.denoised
    const gotX0 = ref.x0 !== undefined ? out.predOriginalSample : out.denoised
    if (refX0 !== undefined) {
      if (gotX0 === undefined) throw new Error(`step ${i}: no x0 prediction in the step output`)
      errors.x0 = Math.max(
        errors.x0,
        compareSummary(
          floatData(gotX0, 'x0'),
          refX0,
          reference.selectedFew,
          pattern,
          tolerance,
          `step ${i} x0`,
          errors.summaryFailures
        )
      )
    }
    if (ref.noised !== undefined) {
      if (out.predNoisedSample === undefined) {
        throw new Error(`step ${i}: no predNoisedSample in the step output`)
      }
      errors.noised = Math.max(
        errors.noised,
        compareSummary(
          floatData(out.predNoisedSample, 'noised'),
          ref.noised,
          reference.selectedFew,
          pattern,
          tolerance,
          `step ${i} noised`,
          errors.summaryFailures
        )
      )
    }
  })
  if (run.final !== undefined) {
    const got = floatData(latents, 'final')
    const scale = Math.max(...run.final.map((v) => Math.abs(v)), 1e-30)
    run.final.forEach((v, k) => {
      errors.final = Math.max(errors.final, Math.abs((got[k] as number) - v) / scale)
    })
  }
  return errors
}

/** Turns recorded JSON config values back into JavaScript values ("-Infinity" → -Infinity). */
export function reviveConfigValue(value: unknown): unknown {
  if (value === '-Infinity') return -Infinity
  if (value === 'Infinity') return Infinity
  return value
}
