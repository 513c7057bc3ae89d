import { SCHEDULER_CLASSES, type Scheduler, type SchedulerConfigInput } from '../schedulers'

/**
 * Creates the scheduler a model folder asks for (`className`: `stepwise.json`'s default scheduler,
 * else the config's `_class_name`). A class Stepwise does not implement (e.g. a Heun or UniPC
 * config) is replaced by `EulerDiscreteScheduler` on the same config, with a warning, so the model
 * still runs.
 */
export function schedulerFromConfig(
  className: string | null,
  config: SchedulerConfigInput
): { scheduler: Scheduler; warning: string | null } {
  const known =
    className !== null && Object.prototype.hasOwnProperty.call(SCHEDULER_CLASSES, className)
  if (known) {
    const cls = SCHEDULER_CLASSES[className as keyof typeof SCHEDULER_CLASSES]
    return { scheduler: cls.fromConfig(config), warning: null }
  }
  return {
    scheduler: SCHEDULER_CLASSES.EulerDiscreteScheduler.fromConfig(config),
    warning: `The scheduler ${className ?? '(none named)'} is not available in Stepwise; using EulerDiscreteScheduler with the model's scheduler config (available: ${Object.keys(SCHEDULER_CLASSES).join(', ')})`
  }
}
