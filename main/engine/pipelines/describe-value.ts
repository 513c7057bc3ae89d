import { formatDims, isTensor } from '../tensor/float-tensor'

/**
 * Values as error messages show them, in JavaScript's terms (the library is called from
 * TypeScript, so a message says "a number", never Python's `<class 'int'>`).
 */

/** A value as written in code: `"text"`, `42`, `null`, `["a", "b"]`, a Tensor's shape. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    const text = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
    return text
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value)
  }
  if (isTensor(value)) return `a ${value.type} Tensor of shape ${formatDims(value.dims)}`
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map(showValue)
    return `[${items.join(', ')}${value.length > 8 ? ', …' : ''}]`
  }
  return kindOf(value)
}

/** What kind of value it is: "a string", "a list", "a number", "null", "an object", … */
export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'a list'
  if (isTensor(value)) return 'a Tensor'
  const type = typeof value
  return type === 'object' ? 'an object' : `a ${type}`
}

/** A list of names for a message: `latents, prompt_embeds and negative_prompt_embeds`. */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) as string}`
}
