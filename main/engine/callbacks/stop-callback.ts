import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { PipelineCallback } from './pipeline-callback'

/** Options of {@link StopCallback}. */
export interface StopCallbackOptions {
  /** Interrupt at the end of this step index, so indices 0…K run (K + 1 steps). */
  stopAtStepIndex?: number | null
}

/**
 * Stepwise's stop control, built on diffusers' interrupt: at the end of step `stopAtStepIndex`,
 * or as soon as {@link StopCallback.stop} is called, it sets `pipeline._interrupt`. The pipeline
 * then skips the remaining steps and still decodes the partially denoised latents, as in the
 * diffusers documentation's early-stopping example.
 */
export class StopCallback extends PipelineCallback {
  readonly stopAtStepIndex: number | null
  private requested = false
  private pipeline: PipelineRunState | null = null

  constructor(options: StopCallbackOptions = {}) {
    const at = options.stopAtStepIndex ?? null
    if (at !== null && (!Number.isInteger(at) || at < 0)) {
      throw new Error(`stopAtStepIndex must be a non-negative integer step index, got ${at}`)
    }
    super(at === null ? {} : { cutoffStepRatio: null, cutoffStepIndex: at })
    this.stopAtStepIndex = at
  }

  override get tensorInputs(): readonly string[] {
    return []
  }

  /** True once {@link stop} was called. */
  get stopRequested(): boolean {
    return this.requested
  }

  /**
   * Stops the run: the interrupt flag is set now if a run is in progress (honoured at the top
   * of the next step), else at the end of the first step.
   */
  stop(): void {
    this.requested = true
    if (this.pipeline !== null) this.pipeline.interrupt = true
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    this.pipeline = pipeline
    if (this.requested || stepIndex === this.stopAtStepIndex) pipeline._interrupt = true
    return callbackKwargs
  }
}
