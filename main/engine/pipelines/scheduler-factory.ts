import { SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import * as schedulers from '../schedulers'
import type { Scheduler, SchedulerConfigInput } from '../schedulers'

type SchedulerClass = {
  fromConfig(config: SchedulerConfigInput, overrides?: SchedulerConfigInput): Scheduler
}

/** The scheduler classes this build has, by diffusers class name. */
function availableClasses(): Map<string, SchedulerClass> {
  const map = new Map<string, SchedulerClass>()
  for (const name of SCHEDULER_CLASS_NAMES) {
    const cls = (schedulers as Record<string, unknown>)[name]
    if (typeof cls === 'function' && 'fromConfig' in cls)
      map.set(name, cls as unknown as SchedulerClass)
  }
  return map
}

/**
 * Creates the scheduler a model folder asks for (`className`, usually the config's
 * `_class_name`). A class Stepwise does not implement is replaced by `EulerDiscreteScheduler`
 * on the same config, with a warning, so the model still runs.
 */
export function schedulerFromConfig(
  className: string | null,
  config: SchedulerConfigInput
): { scheduler: Scheduler; warning: string | null } {
  const classes = availableClasses()
  const wanted = className === null ? null : classes.get(className)
  if (wanted !== undefined && wanted !== null)
    return { scheduler: wanted.fromConfig(config), warning: null }
  const fallback = classes.get('EulerDiscreteScheduler') as SchedulerClass
  return {
    scheduler: fallback.fromConfig(config),
    warning: `The scheduler ${className ?? '(none named)'} is not available in Stepwise; using EulerDiscreteScheduler with the model's scheduler config (available: ${[...classes.keys()].join(', ')})`
  }
}
