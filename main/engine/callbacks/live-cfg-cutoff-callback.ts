import { ratioStepIndex } from '../../../shared/cfg-cutoff'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { keepConditionalHalf } from './keep-conditional-half'
import { IMAGE_CONDITIONING } from './cfg-cutoff-callbacks'
import { PipelineCallback } from './pipeline-callback'
import type { PipelineFamily } from '../models/model-index'

/** Where guidance ends: after step index `int(T · ratio)`, after an exact index, or never (null). */
export type LiveCfgCutoff = { ratio: number } | { stepIndex: number } | null

/** The live cutoff's state, as the app shows it. */
export interface LiveCfgCutoffReport {
  /** The cutoff now in force (null: guidance until the end). */
  cutoff: LiveCfgCutoff
  /**
   * The step index at whose end guidance ends (or ended), or null: none set, or a ratio before
   * the run has told the callback T.
   */
  cutoffStep: number | null
  /** True once guidance has ended; the cutoff can no longer change. */
  locked: boolean
  /** Set when a requested change was refused, saying why. */
  refused?: string
}

/** Options of {@link LiveCfgCutoffCallback}. */
export interface LiveCfgCutoffCallbackOptions {
  /** Which conditioning tensors to halve: SD's `prompt_embeds`, or SDXL's three. */
  family: PipelineFamily
  /** The initial cutoff (default null: none). */
  cutoff?: LiveCfgCutoff
}

const TENSOR_INPUTS = {
  sd: ['prompt_embeds'],
  sdxl: ['prompt_embeds', 'add_text_embeds', 'add_time_ids']
} as const

/**
 * The app's CFG-cutoff slider: like {@link SDCFGCutoffCallback} / {@link SDXLCFGCutoffCallback},
 * but the cutoff can be changed with {@link set} while the run has not reached it. Once guidance
 * has ended the setting is locked. If the cutoff is moved to a step that has already run,
 * guidance ends at the end of the next step, and {@link report} gives that step as `cutoffStep`.
 * A callback instance serves one run at a time; a run starting again at step 0 unlocks it.
 */
export class LiveCfgCutoffCallback extends PipelineCallback {
  readonly family: PipelineFamily
  private cutoff: LiveCfgCutoff
  private numTimesteps: number | null = null
  private lastStep = -1
  private firedAt: number | null = null

  constructor(options: LiveCfgCutoffCallbackOptions) {
    const cutoff = validateCutoff(options.cutoff ?? null)
    super(
      cutoff === null
        ? {}
        : 'ratio' in cutoff
          ? { cutoffStepRatio: cutoff.ratio }
          : { cutoffStepRatio: null, cutoffStepIndex: cutoff.stepIndex }
    )
    if (options.family !== 'sd' && options.family !== 'sdxl') {
      throw new Error(`family must be 'sd' or 'sdxl', got ${JSON.stringify(options.family)}`)
    }
    this.family = options.family
    this.cutoff = cutoff
  }

  override get tensorInputs(): readonly string[] {
    return TENSOR_INPUTS[this.family]
  }

  override get optionalTensorInputs(): readonly string[] {
    return IMAGE_CONDITIONING
  }

  /**
   * Changes the cutoff. Throws for an invalid value (a ratio outside [0, 1], a negative or
   * fractional index); once guidance has ended, returns a report with `refused` instead.
   */
  set(cutoff: LiveCfgCutoff): LiveCfgCutoffReport {
    const valid = validateCutoff(cutoff)
    if (this.firedAt !== null) {
      return {
        ...this.report(),
        refused: `guidance already ended after step ${this.firedAt}; the cutoff can no longer change`
      }
    }
    this.cutoff = valid
    return this.report()
  }

  /** The current setting and its effective step. */
  report(): LiveCfgCutoffReport {
    return { cutoff: this.cutoff, cutoffStep: this.effectiveStep(), locked: this.firedAt !== null }
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    if (stepIndex <= this.lastStep) this.firedAt = null // a new run
    this.lastStep = stepIndex
    this.numTimesteps = pipeline.numTimesteps
    if (this.firedAt !== null) return callbackKwargs
    const step = this.requestedStep()
    if (step !== null && stepIndex >= step) {
      keepConditionalHalf(pipeline, callbackKwargs, [
        ...this.tensorInputs,
        ...this.optionalTensorInputs
      ])
      this.firedAt = stepIndex
    }
    return callbackKwargs
  }

  private requestedStep(): number | null {
    const c = this.cutoff
    if (c === null) return null
    if ('stepIndex' in c) return c.stepIndex
    return this.numTimesteps === null ? null : ratioStepIndex(this.numTimesteps, c.ratio)
  }

  private effectiveStep(): number | null {
    if (this.firedAt !== null) return this.firedAt
    const step = this.requestedStep()
    // A step that has already run cannot be the cutoff any more: the next one will be.
    return step === null ? null : Math.max(step, this.lastStep + 1)
  }
}

function validateCutoff(cutoff: LiveCfgCutoff): LiveCfgCutoff {
  if (cutoff === null) return null
  if ('ratio' in cutoff) {
    const r = cutoff.ratio
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) {
      throw new Error('cutoff_step_ratio must be a float between 0.0 and 1.0.')
    }
    return { ratio: r }
  }
  if ('stepIndex' in cutoff) {
    const i = cutoff.stepIndex
    if (!Number.isInteger(i) || i < 0) {
      throw new Error(`the cutoff step index must be a non-negative integer, got ${String(i)}`)
    }
    return { stepIndex: i }
  }
  throw new Error('a CFG cutoff is { ratio }, { stepIndex } or null')
}
