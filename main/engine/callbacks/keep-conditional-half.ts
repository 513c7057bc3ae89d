import { batchOf, concatBatch, sliceRows } from '../tensor/batch'
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
 *
 * The unconditional rows are not thrown away: they go to `pipeline._keptAside` with the scale,
 * so {@link restoreGuidance} can turn guidance back on (a guidance interval, a branch that moves
 * the cutoff later) and a run snapshot carries them.
 */
export function keepConditionalHalf(
  pipeline: PipelineRunState,
  callbackKwargs: CallbackKwargs,
  names: readonly string[]
): void {
  if (pipeline.doClassifierFreeGuidance) {
    const halves: [string, ReturnType<typeof sliceRows>, ReturnType<typeof sliceRows>][] = []
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
      halves.push([name, sliceRows(value, 0, rows / 2), sliceRows(value, rows / 2)])
    }
    const kept: Record<string, ReturnType<typeof sliceRows>> = {}
    for (const [name, uncond, cond] of halves) {
      kept[name] = uncond
      callbackKwargs[name] = cond
    }
    pipeline._keptAside = { guidanceScale: pipeline._guidanceScale, tensors: kept }
  }
  pipeline._guidanceScale = 0.0
}

/**
 * Turns classifier-free guidance back on from the next step: puts the kept-aside unconditional
 * rows in front of the conditional ones (`[uncond × B ; cond × B]`, the block order the engine
 * builds) and restores the scale they were kept with. Does nothing when nothing was kept aside
 * (the run never had unconditional embeddings) and returns whether guidance is on now.
 */
export function restoreGuidance(
  pipeline: PipelineRunState,
  callbackKwargs: CallbackKwargs
): boolean {
  const kept = pipeline._keptAside
  if (kept === null) return pipeline.doClassifierFreeGuidance
  const joined: [string, ReturnType<typeof concatBatch>][] = []
  for (const [name, uncond] of Object.entries(kept.tensors)) {
    const cond = callbackKwargs[name]
    if (!isTensor(cond)) {
      throw new Error(
        `callbackKwargs.${name} is needed to turn classifier-free guidance back on; add it to the callback's tensor inputs`
      )
    }
    if (batchOf(cond) !== batchOf(uncond)) {
      throw new Error(
        `callbackKwargs.${name} has ${batchOf(cond)} rows but ${batchOf(uncond)} unconditional rows were kept aside`
      )
    }
    joined.push([name, concatBatch([uncond, cond])])
  }
  for (const [name, tensor] of joined) callbackKwargs[name] = tensor
  pipeline._guidanceScale = kept.guidanceScale
  pipeline._keptAside = null
  return true
}
