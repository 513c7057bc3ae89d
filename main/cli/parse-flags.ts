import { UsageError } from './usage-error'

/**
 * A small, strict `--flag value` parser. Strict because a typo such as `--step 5` must stop the
 * run with a clear message instead of silently generating with the default number of steps.
 */

/** How one flag is spelled and whether it takes a value. */
export interface FlagSpec {
  name: string
  /** `value`: `--name VALUE` or `--name=VALUE`; `boolean`: present or not. */
  kind: 'value' | 'boolean'
}

/** Parsed flags: a value flag maps to its text, a boolean flag to `true`. */
export type ParsedFlags = Map<string, string | true>

/**
 * Parses `argv` against `specs`. Rejects unknown flags, positional arguments, repeated flags,
 * value flags without a value and values on boolean flags. A value may start with `-` (a
 * negative number, a prompt such as "-ish"), but not be another known flag, which almost always
 * means the value was forgotten.
 */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  command: string
): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]))
  const allowed = specs.map((s) => `--${s.name}`).join(', ')
  const flags: ParsedFlags = new Map()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (!arg.startsWith('--')) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(arg)} for ${command} (options start with --; see ${command} --help)`
      )
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    const spec = byName.get(name)
    if (spec === undefined) {
      throw new UsageError(`unknown option --${name} for ${command} (allowed: ${allowed})`)
    }
    if (flags.has(name)) throw new UsageError(`--${name} is given more than once`)
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value (got ${JSON.stringify(arg)})`)
      flags.set(name, true)
      continue
    }
    if (eq >= 0) {
      flags.set(name, arg.slice(eq + 1))
      continue
    }
    const next = argv[i + 1]
    const nextIsFlag = next !== undefined && byName.has(next.slice(2).split('=')[0] ?? '')
    if (next === undefined || (next.startsWith('--') && nextIsFlag)) {
      throw new UsageError(`--${name} needs a value`)
    }
    flags.set(name, next)
    i++
  }
  return flags
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const INFINITY = /^[+-]?(inf|infinity)$/i

/**
 * Reads a number the way a person types it (decimal, optional exponent, `inf`). Anything else
 * comes back as the original text, so the schema's message shows exactly what was typed.
 */
export function numberOrText(text: string): number | string {
  const trimmed = text.trim()
  // An integer too large for a double to hold exactly stays text, so the message quotes what
  // was typed rather than the nearest double (2^64 would read back as 18446744073709552000).
  if (/^[+-]?\d+$/.test(trimmed) && !Number.isSafeInteger(Number(trimmed))) return trimmed
  if (DECIMAL.test(trimmed)) return Number(trimmed)
  if (INFINITY.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity
  return text
}
