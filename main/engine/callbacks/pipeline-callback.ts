import { ratioStepIndex } from '../../../shared/cfg-cutoff'
import type { CallbackKwargs, PipelineRunState } from './callback-types'

/** Constructor options of {@link PipelineCallback}: diffusers' two cutoff arguments. */
export interface PipelineCallbackOptions {
  /** Fraction of the timesteps after which the callback acts (default 1.0: never). */
  cutoffStepRatio?: number | null
  /** Exact step index at which the callback acts. Pass `cutoffStepRatio: null` with it. */
  cutoffStepIndex?: number | null
}

/** The registered constructor arguments, under diffusers' config keys. */
export interface PipelineCallbackConfig {
  readonly cutoff_step_ratio: number | null
  readonly cutoff_step_index: number | null
}

/**
 * Base class of the official callbacks (diffusers' `PipelineCallback`). Subclasses override the
 * `tensorInputs` getter (the tensor names they need in `callbackKwargs`) and `callbackFn`.
 *
 * Validation follows diffusers, adapted to JavaScript numbers: exactly one of
 * `cutoffStepRatio` / `cutoffStepIndex` must be non-null (the ratio defaults to 1.0, so
 * `{ cutoffStepIndex: 10 }` alone is rejected, as in diffusers — pass `cutoffStepRatio: null`),
 * and a ratio must be a finite number in [0, 1]. diffusers also rejects integer-typed ratios such
 * as `1`; JavaScript cannot tell `1` from `1.0`, so both are accepted here.
 */
export class PipelineCallback {
  readonly config: PipelineCallbackConfig

  constructor(options: PipelineCallbackOptions = {}) {
    const ratio = options.cutoffStepRatio === undefined ? 1.0 : options.cutoffStepRatio
    const index = options.cutoffStepIndex === undefined ? null : options.cutoffStepIndex
    if ((ratio === null && index === null) || (ratio !== null && index !== null)) {
      throw new Error(
        'pass exactly one of cutoffStepRatio and cutoffStepIndex (cutoffStepRatio defaults to 1.0: pass cutoffStepRatio: null with cutoffStepIndex)'
      )
    }
    if (
      ratio !== null &&
      (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    ) {
      throw new Error(cutoffRatioMessage(ratio))
    }
    this.config = Object.freeze({ cutoff_step_ratio: ratio, cutoff_step_index: index })
  }

  /** Tensor names this callback reads or writes; they replace the call's tensor-input list. */
  get tensorInputs(): readonly string[] {
    throw new Error(
      `${this.constructor.name} must override tensorInputs (the tensor names its callbackFn reads or writes)`
    )
  }

  /**
   * Tensor names the callback also takes when the pipeline has them (a Stepwise extension): the
   * CFG cutoff callbacks list `mask` and `masked_image_latents`, which inpainting pipelines double
   * for guidance like the text conditioning, so guidance can end there too.
   */
  get optionalTensorInputs(): readonly string[] {
    return []
  }

  /** The callback's work; returns the kwargs (modified or not). */
  callbackFn(
    _pipeline: PipelineRunState,
    _stepIndex: number,
    _timestep: number,
    _callbackKwargs: CallbackKwargs
  ): CallbackKwargs | Promise<CallbackKwargs> {
    throw new Error(`${this.constructor.name} must override callbackFn`)
  }

  /**
   * Stepwise: called once before the first step a call runs (step 0, or the step after a
   * snapshot's when a run continues), with that step's index and the kwargs of
   * {@link tensorInputs}; returned tensors are written back as after a step. It is the end of
   * the step before, for the callbacks that decide each next step's guidance (a guidance
   * interval starting after step 0 turns guidance off here). Does nothing by default.
   */
  onLoopStart(
    _pipeline: PipelineRunState,
    _firstStepIndex: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs | Promise<CallbackKwargs> {
    return callbackKwargs
  }

  /** Invokes {@link callbackFn} (diffusers calls the instance itself). */
  call(
    pipeline: PipelineRunState,
    stepIndex: number,
    timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs | Promise<CallbackKwargs> {
    return this.callbackFn(pipeline, stepIndex, timestep, callbackKwargs)
  }
}

/** The refusal of a cutoff ratio outside [0, 1]. */
export function cutoffRatioMessage(ratio: unknown): string {
  const shown = typeof ratio === 'string' ? JSON.stringify(ratio) : String(ratio)
  return `cutoffStepRatio must be a number from 0 to 1, but is ${shown}`
}

/**
 * The step index at which a cutoff callback acts: `cutoff_step_index` if set, else
 * `int(num_timesteps * cutoff_step_ratio)` (shared/cfg-cutoff.ts: T = 100, ratio 0.29 gives 28,
 * as in Python). An index at or past T never comes, so the callback never acts.
 */
export function cutoffStepFor(config: PipelineCallbackConfig, numTimesteps: number): number {
  if (config.cutoff_step_index !== null) return config.cutoff_step_index
  return ratioStepIndex(numTimesteps, config.cutoff_step_ratio ?? 1)
}
