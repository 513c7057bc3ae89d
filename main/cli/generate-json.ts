import { resolve } from 'node:path'
import type { GenerationResult, InferenceStep } from '../inference/protocol'

/** The JSON object `--json` prints (and nothing else on stdout). */
export interface GenerateJson {
  model: string
  family: string
  provider: string
  seed: number
  width: number
  height: number
  scheduler: string
  numInferenceSteps: number
  numTimesteps: number
  /** Image-to-image / inpainting: the strength; null for text-to-image. */
  strength: number | null
  /**
   * Where step 0 sits in the scheduler's full timestep list: 0 for text-to-image, the first
   * timestep an image run enters at otherwise.
   */
  startStep: number
  stepsRun: number
  interrupted: boolean
  /** The preview method the run used (`linear`, `tiny`, `vae`, `vae:N`). */
  previewMethod: string
  steps: Array<{
    index: number
    timestep: number
    ms: number
    unetBatch: number
    cfg: boolean
    guidanceScale: number
    /** What made this step's preview (a `vae:N` run has `vae` and `linear` steps), or null. */
    previewMethod: string | null
    /** What that preview cost, ms (part of `ms`), or null. */
    previewMs: number | null
  }>
  totalMs: number
  unetMs: number
  output: string
  /** A run continued with --resume: the step it continued after, its parent's seed and prompt. */
  resumedFrom: { step: number; parentSeed: number; parentPrompt: string } | null
  /** Where --save-state wrote the run state, or null. */
  savedState: string | null
}

/** What `--json` reports beyond the run's result. */
export interface GenerateJsonContext {
  modelDir: string
  previewMethod: string
  /** Every step as it was reported, in order. */
  steps: InferenceStep[]
  output: string
  resumedFrom: GenerateJson['resumedFrom']
  savedState: string | null
}

/** The `--json` object of a finished run: its result, its steps and where its files went. */
export function generateJson(result: GenerationResult, context: GenerateJsonContext): GenerateJson {
  const { previewMethod, steps, output, resumedFrom, savedState } = context
  return {
    model: resolve(context.modelDir),
    family: result.family,
    provider: result.provider,
    seed: result.seed,
    width: result.width,
    height: result.height,
    scheduler: result.scheduler,
    numInferenceSteps: result.numInferenceSteps,
    numTimesteps: result.numTimesteps,
    strength: result.strength,
    startStep: result.startStep,
    stepsRun: result.stepsRun,
    interrupted: result.interrupted,
    previewMethod,
    steps: steps.map((s) => ({
      index: s.index,
      timestep: s.timestep,
      ms: s.ms,
      unetBatch: s.unetBatch,
      cfg: s.cfg,
      guidanceScale: s.guidanceScale,
      previewMethod: s.previewMethod ?? null,
      previewMs: s.previewMs ?? null
    })),
    totalMs: result.totalMs,
    unetMs: result.unetMs,
    output,
    resumedFrom,
    savedState
  }
}
