/**
 * diffusers' schedulers in TypeScript: same class names, scheduler_config.json keys, timesteps
 * and float32 numerics. See README.md for what is implemented.
 */
import type { SchedulerClassName } from '../../../shared/schedulers'
import type { SchedulerConfigInput } from './config'
import { DDIMScheduler } from './ddim-scheduler'
import { DEISMultistepScheduler } from './deis-multistep-scheduler'
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep-scheduler'
import { DPMSolverSinglestepScheduler } from './dpm-solver-singlestep-scheduler'
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler'
import { EulerDiscreteScheduler } from './euler-discrete-scheduler'
import { HeunDiscreteScheduler } from './heun-discrete-scheduler'
import { KDPM2AncestralDiscreteScheduler } from './kdpm2-ancestral-discrete-scheduler'
import { KDPM2DiscreteScheduler } from './kdpm2-discrete-scheduler'
import { LCMScheduler } from './lcm-scheduler'
import { LMSDiscreteScheduler } from './lms-discrete-scheduler'
import { PNDMScheduler } from './pndm-scheduler'
import type { Scheduler } from './scheduler'
import { TCDScheduler } from './tcd-scheduler'
import { UniPCMultistepScheduler } from './unipc-multistep-scheduler'

export { Scheduler } from './scheduler'
export type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
export type { SchedulerState, SchedulerStateValue } from './scheduler-state'
export type { SchedulerConfig, SchedulerConfigInput, TimestepSpacing } from './config'
export type { CamelCase, SchedulerOverrides, SpecValue } from './config-overrides'
export { DDIMScheduler } from './ddim-scheduler'
export type { DDIMSchedulerConfig } from './ddim-scheduler'
export { DPMSolverMultistepScheduler } from './dpm-solver-multistep-scheduler'
export type { DPMSolverMultistepSchedulerConfig } from './dpm-solver-multistep-scheduler'
export { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler'
export type { EulerAncestralDiscreteSchedulerConfig } from './euler-ancestral-discrete-scheduler'
export { EulerDiscreteScheduler } from './euler-discrete-scheduler'
export type { EulerDiscreteSchedulerConfig } from './euler-discrete-scheduler'
export { LCMScheduler } from './lcm-scheduler'
export type { LCMSchedulerConfig } from './lcm-scheduler'
export { LMSDiscreteScheduler } from './lms-discrete-scheduler'
export type { LMSDiscreteSchedulerConfig } from './lms-discrete-scheduler'
export { PNDMScheduler } from './pndm-scheduler'
export type { PNDMSchedulerConfig } from './pndm-scheduler'
export { UniPCMultistepScheduler } from './unipc-multistep-scheduler'
export type { UniPCMultistepSchedulerConfig } from './unipc-multistep-scheduler'
export { HeunDiscreteScheduler } from './heun-discrete-scheduler'
export type { HeunDiscreteSchedulerConfig } from './heun-discrete-scheduler'
export { KDPM2DiscreteScheduler } from './kdpm2-discrete-scheduler'
export type { KDPM2DiscreteSchedulerConfig } from './kdpm2-discrete-scheduler'
export { KDPM2AncestralDiscreteScheduler } from './kdpm2-ancestral-discrete-scheduler'
export type { KDPM2AncestralDiscreteSchedulerConfig } from './kdpm2-ancestral-discrete-scheduler'
export { DPMSolverSinglestepScheduler } from './dpm-solver-singlestep-scheduler'
export type { DPMSolverSinglestepSchedulerConfig } from './dpm-solver-singlestep-scheduler'
export { DEISMultistepScheduler } from './deis-multistep-scheduler'
export type { DEISMultistepSchedulerConfig } from './deis-multistep-scheduler'
export { TCDScheduler } from './tcd-scheduler'
export type { TCDSchedulerConfig } from './tcd-scheduler'

/** A scheduler class: `new Cls(config, overrides)` and `Cls.fromConfig(config, overrides)`. */
export interface SchedulerClass {
  new (config?: SchedulerConfigInput, overrides?: SchedulerConfigInput): Scheduler
  fromConfig(config: SchedulerConfigInput, overrides?: SchedulerConfigInput): Scheduler
}

/** The scheduler classes keyed by diffusers class name. */
export const SCHEDULER_CLASSES: Readonly<Record<SchedulerClassName, SchedulerClass>> = {
  DPMSolverMultistepScheduler,
  EulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler,
  DDIMScheduler,
  PNDMScheduler,
  LMSDiscreteScheduler,
  LCMScheduler,
  UniPCMultistepScheduler,
  HeunDiscreteScheduler,
  KDPM2DiscreteScheduler,
  KDPM2AncestralDiscreteScheduler,
  DPMSolverSinglestepScheduler,
  DEISMultistepScheduler,
  TCDScheduler
}

/**
 * Creates a scheduler by diffusers class name from a scheduler_config.json object and overrides,
 * like `getattr(diffusers, className).from_config(config, **overrides)`. The config may come from
 * another scheduler class (its other keys are kept and ignored, as in diffusers).
 */
export function createScheduler(
  className: SchedulerClassName,
  config: SchedulerConfigInput = {},
  overrides?: SchedulerConfigInput
): Scheduler {
  const cls = Object.prototype.hasOwnProperty.call(SCHEDULER_CLASSES, className)
    ? SCHEDULER_CLASSES[className]
    : undefined
  if (cls === undefined) {
    throw new Error(
      `unknown scheduler ${JSON.stringify(className)} (allowed: ${Object.keys(SCHEDULER_CLASSES).join(', ')})`
    )
  }
  return cls.fromConfig(config, overrides)
}
