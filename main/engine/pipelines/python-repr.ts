/**
 * Python-style renderings for error messages that must read exactly like diffusers'
 * (`['latents', 'prompt_embeds']`, `<class 'str'>`).
 */

/** `repr()` of a string, list of strings, number, null or tensor-like value. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'string') {
    // Python prefers single quotes unless the text contains one and no double quote.
    if (value.includes("'") && !value.includes('"')) return `"${value}"`
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  return String(value)
}

/** Python's `type(x)` rendering for the values a prompt can be. */
export function pyType(value: unknown): string {
  if (value === null || value === undefined) return "<class 'NoneType'>"
  if (typeof value === 'string') return "<class 'str'>"
  if (Array.isArray(value)) return "<class 'list'>"
  if (typeof value === 'number')
    return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>"
  if (typeof value === 'boolean') return "<class 'bool'>"
  return `<class '${typeof value}'>`
}
