import type { CallbackKwargs } from '../callbacks/callback-types'
import { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import { PipelineCallback } from '../callbacks/pipeline-callback'
import type { ResolvedCallback } from './denoising-loop'
import type { StepEndCallback } from './pipeline-types'

/**
 * diffusers' callback handling at the start of `__call__`: a `PipelineCallback` or
 * `MultiPipelineCallbacks` replaces the tensor-input list with its own `tensorInputs`
 * (unconditionally), plus its optional names that this pipeline has; a plain function keeps the
 * given list (default `['latents']`). Returns one
 * async function the loop can await whatever form the callback had.
 */
export function resolveStepEndCallback(
  callback: StepEndCallback | null | undefined,
  tensorInputs: readonly string[] | undefined,
  pipelineTensorInputs: readonly string[] = []
): {
  callback: ResolvedCallback | null
  loopStart: ResolvedCallback | null
  tensorInputs: readonly string[]
} {
  if (
    tensorInputs !== undefined &&
    (!Array.isArray(tensorInputs) || tensorInputs.some((n) => typeof n !== 'string'))
  ) {
    throw new TypeError('callbackOnStepEndTensorInputs must be a list of tensor names')
  }
  const names = tensorInputs ?? ['latents']
  if (callback === null || callback === undefined) {
    return { callback: null, loopStart: null, tensorInputs: names }
  }
  // Checked before `typeof … === 'function'`-style duck typing: class instances are not callable.
  if (callback instanceof PipelineCallback || callback instanceof MultiPipelineCallbacks) {
    // Optional names join only where this pipeline has them, so check_inputs never sees one
    // the pipeline lacks (a cutoff callback on a text-to-image pipeline asks for no mask).
    const optional = callback.optionalTensorInputs.filter((n) => pipelineTensorInputs.includes(n))
    return {
      callback: async (p, i, t, kw: CallbackKwargs) => callback.call(p, i, t, kw),
      loopStart: async (p, i, _t, kw: CallbackKwargs) => callback.onLoopStart(p, i, kw),
      tensorInputs: [...callback.tensorInputs, ...optional]
    }
  }
  if (typeof callback === 'function') {
    return {
      callback: async (p, i, t, kw) => callback(p, i, t, kw),
      loopStart: null,
      tensorInputs: names
    }
  }
  throw new TypeError(
    'callbackOnStepEnd must be a function, a PipelineCallback or a MultiPipelineCallbacks'
  )
}

/**
 * diffusers never checks `cutoff_step_index` against the run: an index past the last step
 * silently never fires. Stepwise runs the same way but says so, once per callback, in the
 * result's warnings.
 */
export function pastEndWarnings(
  callback: StepEndCallback | null | undefined,
  numTimesteps: number
): string[] {
  const members =
    callback instanceof MultiPipelineCallbacks
      ? callback.callbacks
      : callback instanceof PipelineCallback
        ? [callback]
        : []
  return members.flatMap((c) => {
    const index = c.config.cutoff_step_index
    if (typeof index !== 'number' || index < numTimesteps) return []
    return [
      `${c.constructor.name}: cutoffStepIndex ${index} is past the last step index ${numTimesteps - 1}, so it never acts`
    ]
  })
}
