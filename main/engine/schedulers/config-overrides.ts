import type { SchedulerClassName } from '../../../shared/schedulers'
import type { CONFIG_SPECS } from './config-specs'

/**
 * The overrides each scheduler class takes (`X.fromConfig(config, overrides)`), typed from its
 * config spec: every `__init__` key of the diffusers class under its snake_case name (as in
 * scheduler_config.json) or in camelCase, with the values Stepwise accepts, so a misspelt key or
 * an unknown value does not compile.
 *
 * ```ts
 * DPMSolverMultistepScheduler.fromConfig(pipe.scheduler.config, {
 *   use_karras_sigmas: true,
 *   algorithm_type: 'sde-dpmsolver++'
 * })
 * ```
 */

/** `use_karras_sigmas` → `useKarrasSigmas`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S

type EnumValue<S> = S extends { allowed: readonly (infer A)[] }
  ? | A
    | (S extends { aliases: infer Aliases } ? keyof Aliases & string : never)
    | (S extends { default: null } ? null : never)
  : never

/** The TypeScript type of the values one key spec accepts. */
export type SpecValue<S> = S extends { kind: 'int' | 'number' }
  ? number
  : S extends { kind: 'optionalNumber' }
    ? number | null
    : S extends { kind: 'bool' }
      ? boolean
      : S extends { kind: 'enum' }
        ? EnumValue<S>
        : S extends { kind: 'betas' }
          ? readonly number[] | null
          : S extends { kind: 'intList' }
            ? readonly number[]
            : S extends { kind: 'null' }
              ? null
              : never

type Spec<N extends SchedulerClassName> = (typeof CONFIG_SPECS)[N]

/** The overrides of scheduler class `N`, snake_case or camelCase keys. */
export type SchedulerOverrides<N extends SchedulerClassName> = {
  readonly [K in keyof Spec<N> & string]?: SpecValue<Spec<N>[K]>
} & {
  readonly [K in keyof Spec<N> & string as CamelCase<K>]?: SpecValue<Spec<N>[K]>
}
