import { ALGORITHM_TYPES_OF } from '../../../shared/schedulers'
import type { AlgorithmType, SchedulerClassName } from '../../../shared/schedulers'
import {
  SCHEDULER_CLASSES,
  createScheduler,
  type Scheduler,
  type SchedulerConfigInput
} from '../schedulers'

/**
 * Creates the scheduler a model folder asks for (`className`: `stepwise.json`'s default scheduler,
 * else the config's `_class_name`). A class Stepwise does not implement (e.g. a
 * DPMSolverSDEScheduler config) is replaced by `EulerDiscreteScheduler` on the same config, with a warning, so the model
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

/** What a caller asks of the scheduler: a class, Karras sigmas, a DPM-Solver algorithm type. */
export interface SchedulerRequest {
  /** Omitted: the model's own scheduler class. */
  scheduler?: SchedulerClassName
  useKarrasSigmas: boolean
  /** diffusers' `algorithm_type`; omitted: the config's own. */
  algorithmType?: AlgorithmType
}

/**
 * The scheduler a run uses: `requested.scheduler` (else the model's own class) built with
 * `from_config` on the model's scheduler config, with Karras sigmas and an algorithm type where
 * asked. diffusers would ignore an option the class does not have; here it is left out with a
 * warning instead of silently, and a value the class does not accept is an error naming it.
 * Returns `base` itself when nothing is asked.
 */
export function schedulerForRequest(
  base: Scheduler,
  requested: SchedulerRequest,
  warn: (message: string) => void = () => {}
): Scheduler {
  if (
    requested.scheduler === undefined &&
    !requested.useKarrasSigmas &&
    requested.algorithmType === undefined
  ) {
    return base
  }
  const name = (requested.scheduler ?? base.className) as SchedulerClassName
  // A config built from nothing has exactly the class's own keys (a model's may carry others).
  const own = createScheduler(name).config
  const overrides: Record<string, unknown> = {}
  if (requested.useKarrasSigmas) {
    if ('use_karras_sigmas' in own) overrides.use_karras_sigmas = true
    else warn(`${name} has no Karras sigmas option; running it without`)
  }
  if (requested.algorithmType !== undefined) {
    const allowed = ALGORITHM_TYPES_OF[name]
    if (allowed === undefined) {
      warn(`${name} has no algorithm_type option; running it without ${requested.algorithmType}`)
    } else if (!allowed.includes(requested.algorithmType)) {
      throw new Error(
        `${name}: algorithm_type "${requested.algorithmType}" is not supported (allowed: ${allowed.join(', ')})`
      )
    } else {
      overrides.algorithm_type = requested.algorithmType
    }
  }
  return createScheduler(name, base.config, overrides)
}

/** The `algorithm_type` a scheduler runs with, for the classes that have one (DPM-Solver). */
export function algorithmTypeOf(scheduler: Scheduler): AlgorithmType | undefined {
  const allowed = ALGORITHM_TYPES_OF[scheduler.className as SchedulerClassName]
  const value = scheduler.config.algorithm_type
  return allowed?.find((a) => a === value)
}
