import type { PipelineFamily } from '../models/model-index'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { LiveGuidanceCallback, type LiveCfgCutoff } from './live-guidance-callback'
import { PipelineCallback } from './pipeline-callback'

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

/**
 * A CFG-cutoff slider: like {@link SDCFGCutoffCallback} / {@link SDXLCFGCutoffCallback}, but the
 * cutoff can be changed with {@link set} while the run has not reached it. Once guidance has
 * ended the setting is locked. If the cutoff is moved to a step that has already run, guidance
 * ends at the end of the next step, and {@link report} gives that step as `cutoffStep`. It is
 * {@link LiveGuidanceCallback} with only its cutoff in use.
 */
export class LiveCfgCutoffCallback extends PipelineCallback {
  private readonly live: LiveGuidanceCallback

  constructor(options: LiveCfgCutoffCallbackOptions) {
    super()
    this.live = new LiveGuidanceCallback({ family: options.family, cutoff: options.cutoff })
  }

  get family(): PipelineFamily {
    return this.live.family
  }

  override get tensorInputs(): readonly string[] {
    return this.live.tensorInputs
  }

  override get optionalTensorInputs(): readonly string[] {
    return this.live.optionalTensorInputs
  }

  /**
   * Changes the cutoff. Throws for an invalid value (a ratio outside [0, 1], a negative or
   * fractional index); once guidance has ended, returns a report with `refused` instead.
   */
  set(cutoff: LiveCfgCutoff): LiveCfgCutoffReport {
    return cutoffPart(this.live.setCutoff(cutoff))
  }

  /** The current setting and its effective step. */
  report(): LiveCfgCutoffReport {
    return cutoffPart(this.live.report())
  }

  override onLoopStart(
    pipeline: PipelineRunState,
    firstStepIndex: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    return this.live.onLoopStart(pipeline, firstStepIndex, callbackKwargs)
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    return this.live.callbackFn(pipeline, stepIndex, timestep, callbackKwargs)
  }
}

function cutoffPart(report: ReturnType<LiveGuidanceCallback['report']>): LiveCfgCutoffReport {
  const { cutoff, cutoffStep, locked, refused } = report
  return refused === undefined
    ? { cutoff, cutoffStep, locked }
    : { cutoff, cutoffStep, locked, refused }
}
