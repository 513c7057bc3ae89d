/**
 * diffusers' schedulers in TypeScript: same class names, scheduler_config.json keys, timesteps
 * and float32 numerics. See README.md for what is implemented.
 */
export { Scheduler } from './scheduler'
export type { SchedulerStepOptions, SchedulerStepOutput } from './scheduler'
export type { SchedulerConfig, SchedulerConfigInput, TimestepSpacing } from './config'
export { DDIMScheduler } from './ddim-scheduler'
export type { DDIMSchedulerConfig } from './ddim-scheduler'
export { EulerDiscreteScheduler } from './euler-discrete-scheduler'
export type { EulerDiscreteSchedulerConfig } from './euler-discrete-scheduler'
