import { batchOf, sliceRows } from '../tensor/batch'
import { formatDims, isTensor } from '../tensor/float-tensor'
import type { CallbackKwargs, PipelineRunState } from './callback-types'

/**
 * Ends classifier-free guidance from the next step on: keeps the conditional half of each named
 * CFG-doubled tensor and sets `pipeline._guidanceScale = 0`.
 *
 * With CFG on, every batch-carrying conditioning tensor is `[uncond × B ; cond × B]` (Stepwise's
 * SDXL pipeline builds `add_time_ids` in the same block order), so the conditional rows are
 * B … 2B−1. diffusers' callbacks keep only `[-1:]`, which is the same for B = 1 and wrong for
 * B > 1. When CFG is already off the tensors have B rows and are left alone (diffusers would
 * still slice them to one row).
 */
export function keepConditionalHalf(
  pipeline: PipelineRunState,
  callbackKwargs: CallbackKwargs,
  names: readonly string[]
): void {
  if (pipeline.doClassifierFreeGuidance) {
    for (const name of names) {
      const value = callbackKwargs[name]
      if (value === null || value === undefined) continue
      if (!isTensor(value) || value.dims.length === 0) {
        throw new Error(
          `callbackKwargs.${name} must be a batched tensor to end classifier-free guidance`
        )
      }
      const rows = batchOf(value)
      if (rows % 2 !== 0) {
        throw new Error(
          `callbackKwargs.${name} has shape ${formatDims(value.dims)}: an odd batch cannot be split into unconditional and conditional halves`
        )
      }
      callbackKwargs[name] = sliceRows(value, rows / 2)
    }
  }
  pipeline._guidanceScale = 0.0
}
