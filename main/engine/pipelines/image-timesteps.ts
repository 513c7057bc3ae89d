import { roundHalfEven } from '../previews/latents-to-rgb'
import type { Scheduler } from '../schedulers'

/** Where an image run enters the schedule. */
export interface StartTimesteps {
  /** The timesteps that run (a tail of the scheduler's). */
  timesteps: number[]
  /** diffusers' returned `num_inference_steps` (for the progress rule). */
  numInferenceSteps: number
  /** Index of the first timestep that runs in the scheduler's full list (its begin index). */
  startIndex: number
}

/**
 * diffusers' `get_timesteps` of the img2img and inpainting pipelines. With `strength` s and N
 * steps, `int(N · s)` steps run: the schedule is entered at `t_start · order` with
 * `t_start = N − int(N · s)`, and the scheduler's begin index is set there (for the classes that
 * have `set_begin_index`, all but DDIM and PNDM). SDXL's `denoising_start` d replaces strength:
 * the timesteps below `round(T_train − d · T_train)` run (one more for a second-order scheduler
 * when that count is even, so the run ends after a whole Heun/KDPM2 step).
 */
export function getTimesteps(
  scheduler: Scheduler,
  numInferenceSteps: number,
  strength: number,
  denoisingStart: number | null = null
): StartTimesteps {
  const all = scheduler.timesteps
  let startIndex: number
  let steps: number
  if (denoisingStart === null) {
    const initTimestep = Math.min(Math.trunc(numInferenceSteps * strength), numInferenceSteps)
    const tStart = Math.max(numInferenceSteps - initTimestep, 0)
    startIndex = tStart * scheduler.order
    steps = numInferenceSteps - tStart
  } else {
    const train = scheduler.config.num_train_timesteps
    const cutoff = Math.trunc(roundHalfEven(train - denoisingStart * train))
    steps = all.filter((t) => t < cutoff).length
    if (scheduler.order === 2 && steps % 2 === 0) steps += 1
    startIndex = all.length - steps
  }
  if (scheduler.hasBeginIndex) scheduler.setBeginIndex(Math.min(startIndex, all.length))
  return { timesteps: all.slice(startIndex), numInferenceSteps: steps, startIndex }
}

/** diffusers' `denoising_value_valid`: a float strictly between 0 and 1. */
export function denoisingValueValid(value: number | null | undefined): value is number {
  return typeof value === 'number' && value > 0 && value < 1
}
