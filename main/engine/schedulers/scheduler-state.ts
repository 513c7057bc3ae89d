/**
 * A scheduler's mutable state as plain data: every field `setTimesteps()` and `step()` read or
 * write (timesteps, sigmas, the step counter, multistep histories such as DPM-Solver's previous
 * model outputs and lower-order counter, PNDM's `ets` and counter, LMS derivatives, Heun's first
 * sample), deep-copied so that a state can be restored any number of times. Values are numbers,
 * booleans, strings, null, `Float32Array`s, and arrays of these; anything else is refused when the
 * state is captured, so a scheduler that grows a field of another kind fails loudly in the
 * resume tests instead of resuming wrongly.
 */

/** One captured field value. */
export type SchedulerStateValue =
  number | boolean | string | null | Float32Array | Float64Array | SchedulerStateValue[]

/** A scheduler's class, config and mutable fields, as {@link Scheduler.captureState} takes them. */
export interface SchedulerState {
  className: string
  /** The scheduler's config (diffusers' `scheduler.config`), as JSON. */
  config: Record<string, unknown>
  /** Every mutable own field by name. */
  fields: Record<string, SchedulerStateValue>
}

/**
 * Fields every scheduler derives from its config alone (the training schedule, the class name):
 * they are rebuilt by the constructor and never captured.
 */
export const CONSTANT_SCHEDULER_FIELDS: ReadonlySet<string> = new Set([
  'config',
  'className',
  'order',
  'hasBeginIndex',
  'betas',
  'alphasCumprod',
  'finalAlphaCumprod',
  'trainSigmas',
  'logSigmas',
  'lambdaT'
])

/** A deep copy of a state value; throws for a value of a kind a state cannot hold. */
export function copyStateValue(value: unknown, where: string): SchedulerStateValue {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value
  if (typeof value === 'string') return value
  if (value instanceof Float32Array) return value.slice()
  if (value instanceof Float64Array) return value.slice()
  if (Array.isArray(value)) {
    // Most array fields are plain numbers (timesteps, sigmas): copied without naming each
    // element, which a snapshot at every step would otherwise pay for.
    if (value.every((v) => typeof v === 'number')) return value.slice() as number[]
    return value.map((v, i) => copyStateValue(v, `${where}[${i}]`))
  }
  const kind =
    value === undefined
      ? 'undefined'
      : typeof value === 'object'
        ? ((value as object).constructor?.name ?? 'object')
        : typeof value
  throw new Error(`cannot capture scheduler field ${where}: a ${kind} is not a state value`)
}

/** JSON with sorted keys: two configs that hold the same values compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as Record<string, unknown>)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]])
        )
      : v
  )
}
