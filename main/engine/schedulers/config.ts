import type { SchedulerClassName } from '../../../shared/schedulers'
import type { BetaSchedule } from './betas'
import { CONFIG_SPECS } from './config-specs'
import type { KeySpec } from './config-specs'

/** A scheduler config as read from scheduler_config.json: snake_case keys, JSON values. */
export type SchedulerConfigInput = Readonly<Record<string, unknown>>

/** The timestep spacings of diffusers' schedulers. */
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing'

/**
 * A scheduler's merged config, like diffusers' `scheduler.config`: every `__init__` key with the
 * value given or diffusers' default, the input's other keys kept as they were (diffusers keeps
 * them too, so a config round-trips between scheduler classes), `_class_name` set to this class
 * when present, and `_use_default_values` listing the keys that took defaults. Frozen.
 */
export interface SchedulerConfig {
  readonly num_train_timesteps: number
  readonly beta_start: number
  readonly beta_end: number
  readonly beta_schedule: BetaSchedule
  readonly trained_betas: readonly number[] | null
  readonly prediction_type: string
  readonly timestep_spacing: TimestepSpacing
  readonly steps_offset: number
  readonly [key: string]: unknown
}

/** Every config key any scheduler knows. */
export const KNOWN_CONFIG_KEYS: ReadonlySet<string> = new Set(
  Object.values(CONFIG_SPECS).flatMap((spec) => Object.keys(spec))
)

/** Shows a config value in an error message. */
export function showValue(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (value === undefined) return 'undefined'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function validate(className: string, key: string, spec: KeySpec, value: unknown): unknown {
  const fail = (what: string): never => {
    throw new Error(`${className}: ${key} ${what} (got ${showValue(value)})`)
  }
  switch (spec.kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min) {
        fail(`must be an integer >= ${spec.min}`)
      }
      return value
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) fail('must be a number')
      return value
    case 'optionalNumber':
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
        fail('must be a number or null')
      }
      return value
    case 'bool': {
      // Python reads None as false; some exported configs write null for these flags.
      const flag = value === null ? false : value
      if (typeof flag !== 'boolean') fail('must be true or false')
      if (spec.supported !== undefined && !spec.supported.includes(flag as boolean)) {
        const why = spec.reason === undefined ? '' : `: ${spec.reason}`
        throw new Error(
          `${className}: ${key} ${String(flag)} is not supported${why} (allowed: ${spec.supported.join(', ')})`
        )
      }
      return flag
    }
    case 'enum': {
      const allowedText = [...spec.allowed, ...Object.keys(spec.aliases ?? {})]
      const allowed = allowedText.length > 0 ? allowedText.join(', ') : 'null'
      if (value === null && spec.default === null) return null
      if (typeof value !== 'string') {
        return fail(`must be one of ${allowed}`)
      }
      const aliased = spec.aliases?.[value]
      if (aliased !== undefined) return aliased
      if (spec.allowed.includes(value)) return value
      const reason = spec.unsupported?.[value]
      const why = reason === undefined ? '' : `: ${reason}`
      throw new Error(
        `${className}: ${key} ${showValue(value)} is not supported${why} (allowed: ${allowed})`
      )
    }
    case 'betas':
      if (value === null) return null
      if (
        !Array.isArray(value) ||
        !value.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        fail('must be an array of numbers or null')
      }
      return Object.freeze([...(value as number[])])
    case 'intList':
      if (
        !Array.isArray(value) ||
        !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
      ) {
        fail('must be a list of step indices (integers >= 0)')
      }
      return Object.freeze([...(value as number[])])
    case 'null':
      if (value !== null) {
        throw new Error(
          `${className}: ${key} ${showValue(value)} is not supported: ${spec.reason} (allowed: null)`
        )
      }
      return null
  }
}

/**
 * The keys of `config` that `className`'s `__init__` has, and only those. diffusers keeps other
 * classes' keys in `scheduler.config` but a class never reads them (PNDM ignores a DDIM config's
 * `rescale_betas_zero_snr`), so what a scheduler computes from its config goes through this.
 */
export function ownConfig<C extends SchedulerConfig>(className: SchedulerClassName, config: C): C {
  const own: Record<string, unknown> = {}
  for (const key of Object.keys(CONFIG_SPECS[className])) own[key] = config[key]
  return Object.freeze(own) as C
}

/**
 * Merges a scheduler_config.json object and overrides the way diffusers' `from_config` does, and
 * validates every value this class uses. Override keys may be snake_case (as in the JSON) or
 * camelCase; an override key that no scheduler knows is an error, so a typo cannot pass silently.
 * Keys listed in the input's `_use_default_values` are dropped so this class's defaults apply.
 */
export function resolveConfig(
  className: SchedulerClassName,
  input: SchedulerConfigInput,
  overrides: SchedulerConfigInput = {}
): SchedulerConfig {
  if (!isRecord(input)) {
    throw new Error(`${className}: config must be an object (got ${showValue(input)})`)
  }
  if (!isRecord(overrides)) {
    throw new Error(`${className}: overrides must be an object (got ${showValue(overrides)})`)
  }
  const spec = CONFIG_SPECS[className]
  const usedDefaults = Array.isArray(input._use_default_values) ? input._use_default_values : []
  const merged: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (key !== '_use_default_values' && !usedDefaults.includes(key)) merged[key] = value
  }
  for (const [rawKey, value] of Object.entries(overrides)) {
    const key = KNOWN_CONFIG_KEYS.has(rawKey) ? rawKey : camelToSnake(rawKey)
    if (!KNOWN_CONFIG_KEYS.has(key)) {
      throw new Error(
        `${className}: unknown config key ${showValue(rawKey)} (keys of ${className}: ${Object.keys(spec).join(', ')})`
      )
    }
    if (value !== undefined) merged[key] = value
  }

  const resolved: Record<string, unknown> = { ...merged }
  const defaulted: string[] = []
  for (const [key, keySpec] of Object.entries(spec)) {
    if (key in merged && merged[key] !== undefined) {
      resolved[key] = validate(className, key, keySpec, merged[key])
    } else {
      resolved[key] = keySpec.default
      defaulted.push(key)
    }
  }
  if ('_class_name' in resolved) resolved._class_name = className
  if (defaulted.length > 0) resolved._use_default_values = Object.freeze(defaulted)
  else delete resolved._use_default_values

  const trained = resolved.trained_betas as readonly number[] | null
  const steps = resolved.num_train_timesteps as number
  if (trained !== null && trained.length !== steps) {
    throw new Error(
      `${className}: trained_betas has ${trained.length} values but num_train_timesteps is ${steps} (they must match)`
    )
  }
  return Object.freeze(resolved) as unknown as SchedulerConfig
}
