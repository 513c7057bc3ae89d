import type { CallbackKwargs, PipelineRunState } from './callback-types'
import type { PipelineCallback } from './pipeline-callback'

/**
 * Several callbacks run as one (diffusers' `MultiPipelineCallbacks`): their tensor inputs are
 * concatenated in order (duplicates kept, which is harmless), and at each step they run in list
 * order, each receiving the kwargs the previous one returned. Members may be async.
 */
export class MultiPipelineCallbacks {
  readonly callbacks: PipelineCallback[]

  constructor(callbacks: PipelineCallback[]) {
    this.callbacks = callbacks
  }

  /** Every member's tensor inputs, in order. */
  get tensorInputs(): string[] {
    return this.callbacks.flatMap((c) => [...c.tensorInputs])
  }

  /** Every member's optional tensor inputs (names taken when the pipeline has them). */
  get optionalTensorInputs(): string[] {
    return this.callbacks.flatMap((c) => [...c.optionalTensorInputs])
  }

  /** Runs the members' {@link PipelineCallback.onLoopStart} in order, threading the kwargs. */
  async onLoopStart(
    pipeline: PipelineRunState,
    firstStepIndex: number,
    callbackKwargs: CallbackKwargs
  ): Promise<CallbackKwargs> {
    let kwargs = callbackKwargs
    for (const callback of this.callbacks) {
      kwargs = await callback.onLoopStart(pipeline, firstStepIndex, kwargs)
    }
    return kwargs
  }

  /** Runs the members in order, threading the kwargs through them. */
  async call(
    pipeline: PipelineRunState,
    stepIndex: number,
    timestep: number,
    callbackKwargs: CallbackKwargs
  ): Promise<CallbackKwargs> {
    let kwargs = callbackKwargs
    for (const callback of this.callbacks) {
      kwargs = await callback.call(pipeline, stepIndex, timestep, kwargs)
    }
    return kwargs
  }
}
