import { ratioStepIndex } from '../../../shared/cfg-cutoff'
import type { PipelineFamily } from '../models/model-index'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { IMAGE_CONDITIONING } from './cfg-cutoff-callbacks'
import { keepConditionalHalf, restoreGuidance } from './keep-conditional-half'
import { PipelineCallback } from './pipeline-callback'

/** The CFG-doubled conditioning tensors of each family, which guidance on/off halves and restores. */
export const GUIDANCE_TENSOR_INPUTS: Readonly<Record<PipelineFamily, readonly string[]>> = {
  sd: ['prompt_embeds'],
  sdxl: ['prompt_embeds', 'add_text_embeds', 'add_time_ids']
}

/** A guidance window in step indices: the UNet evaluations at `start ≤ i < end` run with CFG. */
export interface GuidanceWindow {
  start: number
  end: number
}

/**
 * Sets classifier-free guidance for step `next` from the window: on inside `[start, end)` (the
 * kept-aside unconditional rows come back), off outside (they are kept aside). Called at the end
 * of step `next − 1`, or before the loop for its first step.
 */
export function applyGuidanceWindow(
  pipeline: PipelineRunState,
  callbackKwargs: CallbackKwargs,
  names: readonly string[],
  next: number,
  window: GuidanceWindow
): void {
  const want = window.start <= next && next < window.end
  if (want) restoreGuidance(pipeline, callbackKwargs)
  else if (pipeline.doClassifierFreeGuidance) keepConditionalHalf(pipeline, callbackKwargs, names)
}

/** Throws when a window callback made for one family runs on the other's pipeline. */
export function checkGuidanceFamily(
  callback: string,
  family: PipelineFamily,
  pipeline: PipelineRunState
): void {
  if (pipeline.family !== family) {
    throw new Error(
      `${callback} was made for '${family}' pipelines but runs on a '${pipeline.family}' one; pass family: '${pipeline.family}'`
    )
  }
}

/** Constructor options of {@link CFGIntervalCallback}: ratios of the run, or step indices. */
export interface CFGIntervalCallbackOptions {
  /** First guided step as a share of T: step `int(T · ratio)`. Default 0.0. */
  startStepRatio?: number | null
  /** End of guidance (exclusive) as a share of T: step `int(T · ratio)`. Default 1.0. */
  endStepRatio?: number | null
  /** First guided step index (pass no ratios with indices). Default 0. */
  startStepIndex?: number | null
  /** First step index without guidance after the window; null: guidance to the end. */
  endStepIndex?: number | null
  /** Which conditioning tensors to halve and restore: SD's `prompt_embeds`, or SDXL's three. Default 'sd'. */
  family?: PipelineFamily
}

/** The registered constructor arguments, under diffusers-style config keys. */
export interface CFGIntervalConfig {
  readonly start_step_ratio: number | null
  readonly end_step_ratio: number | null
  readonly start_step_index: number | null
  readonly end_step_index: number | null
}

const BOTH_OR_NONE =
  'Either start_step_ratio/end_step_ratio or start_step_index/end_step_index should be provided, not both.'

function checkRatio(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`${name} must be a float between 0.0 and 1.0.`)
  }
}

function checkIndex(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer step index, got ${String(value)}`)
  }
}

/**
 * Guidance only inside an interval of the run (Kynkäänniemi et al., "Applying guidance in a
 * limited interval improves sample and distribution quality in diffusion models", NeurIPS 2024):
 * the UNet evaluations at step indices `start ≤ i < end` run with classifier-free guidance
 * (batch 2B), all others at batch B with guidance off. Ratios become indices as diffusers does
 * (`int(T · ratio)`). Outside the window the unconditional rows of the prompt embeddings (SDXL:
 * also the pooled text embeddings and time ids) are kept aside on the pipeline and put back in
 * front of the conditional rows when the window opens. A CFG cutoff with index c is the window
 * `[0, c + 1)`.
 *
 * ```ts
 * callbackOnStepEnd: new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.8, family: 'sdxl' })
 * ```
 */
export class CFGIntervalCallback extends PipelineCallback {
  readonly interval: CFGIntervalConfig
  readonly family: PipelineFamily

  constructor(options: CFGIntervalCallbackOptions = {}) {
    super()
    const family = options.family ?? 'sd'
    if (family !== 'sd' && family !== 'sdxl') {
      throw new Error(`family must be 'sd' or 'sdxl', got ${JSON.stringify(family)}`)
    }
    const startIndex = options.startStepIndex ?? null
    const endIndex = options.endStepIndex ?? null
    const byIndex = startIndex !== null || endIndex !== null
    const startRatio = options.startStepRatio ?? null
    const endRatio = options.endStepRatio ?? null
    if (byIndex && (startRatio !== null || endRatio !== null)) throw new Error(BOTH_OR_NONE)
    if (byIndex) {
      if (startIndex !== null) checkIndex('start_step_index', startIndex)
      if (endIndex !== null) checkIndex('end_step_index', endIndex)
      const s = startIndex ?? 0
      if (endIndex !== null && s >= endIndex) {
        throw new Error(
          `start_step_index must be below end_step_index (got ${s} and ${endIndex}): guidance runs at steps start ≤ i < end`
        )
      }
      this.interval = Object.freeze({
        start_step_ratio: null,
        end_step_ratio: null,
        start_step_index: s,
        end_step_index: endIndex
      })
    } else {
      const s = startRatio ?? 0
      const e = endRatio ?? 1
      checkRatio('start_step_ratio', s)
      checkRatio('end_step_ratio', e)
      if (s >= e) {
        throw new Error(
          `start_step_ratio must be below end_step_ratio (got ${s} and ${e}): guidance runs from start to end`
        )
      }
      this.interval = Object.freeze({
        start_step_ratio: s,
        end_step_ratio: e,
        start_step_index: null,
        end_step_index: null
      })
    }
    this.family = family
  }

  override get tensorInputs(): readonly string[] {
    return GUIDANCE_TENSOR_INPUTS[this.family]
  }

  override get optionalTensorInputs(): readonly string[] {
    return IMAGE_CONDITIONING
  }

  /** The text conditioning and, on an inpainting pipeline, its doubled mask tensors. */
  private get guidanceTensors(): readonly string[] {
    return [...this.tensorInputs, ...this.optionalTensorInputs]
  }

  /** The window in step indices for a run of `numTimesteps` steps. */
  windowFor(numTimesteps: number): GuidanceWindow {
    const c = this.interval
    if (c.start_step_index !== null) {
      return { start: c.start_step_index, end: c.end_step_index ?? numTimesteps }
    }
    return {
      start: ratioStepIndex(numTimesteps, c.start_step_ratio ?? 0),
      end: ratioStepIndex(numTimesteps, c.end_step_ratio ?? 1)
    }
  }

  override onLoopStart(
    pipeline: PipelineRunState,
    firstStepIndex: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    checkGuidanceFamily('CFGIntervalCallback', this.family, pipeline)
    const window = this.windowFor(pipeline.numTimesteps)
    applyGuidanceWindow(pipeline, callbackKwargs, this.guidanceTensors, firstStepIndex, window)
    return callbackKwargs
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    const T = pipeline.numTimesteps
    // After the last step there is nothing to decide: the final state keeps the guidance it ran with.
    if (stepIndex + 1 >= T) return callbackKwargs
    applyGuidanceWindow(
      pipeline,
      callbackKwargs,
      this.guidanceTensors,
      stepIndex + 1,
      this.windowFor(T)
    )
    return callbackKwargs
  }
}
