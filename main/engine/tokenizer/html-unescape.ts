import {
  FTFY_UPPERCASE_ENTITIES,
  HTML5_ENTITIES,
  INVALID_CHARREFS,
  INVALID_CODEPOINTS
} from './text-fix-tables'

/** Parses a generated "key:hex.hex key:hex" list into key → string. */
export function parseCodePointTable(list: string): Map<string, string> {
  const table = new Map<string, string>()
  for (const entry of list.split(' ')) {
    const colon = entry.lastIndexOf(':')
    const value = entry
      .slice(colon + 1)
      .split('.')
      .map((hex) => String.fromCodePoint(parseInt(hex, 16)))
      .join('')
    table.set(entry.slice(0, colon), value)
  }
  return table
}

let html5: Map<string, string> | null = null
let ftfyEntities: Map<string, string> | null = null
let invalidCharrefs: Map<number, string> | null = null
let invalidRanges: [number, number][] | null = null

/** `html.entities.html5`, parsed on first use (2,231 names). */
function html5Entities(): Map<string, string> {
  html5 ??= parseCodePointTable(HTML5_ENTITIES)
  return html5
}

function invalidCharref(num: number): string | undefined {
  invalidCharrefs ??= new Map(
    [...parseCodePointTable(INVALID_CHARREFS)].map(([hex, value]) => [parseInt(hex, 16), value])
  )
  return invalidCharrefs.get(num)
}

function isInvalidCodepoint(num: number): boolean {
  invalidRanges ??= INVALID_CODEPOINTS.split(' ').map((range) => {
    const [a = '0', b = a] = range.split('-')
    return [parseInt(a, 16), parseInt(b, 16)]
  })
  return invalidRanges.some(([a, b]) => num >= a && num <= b)
}

// Python's html._charref: a numeric reference, or up to 32 characters of a name, `;` optional.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu

function numericCharref(ref: string): string {
  const hex = ref[1] === 'x' || ref[1] === 'X'
  const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '')
  // Python's int() has no upper limit; anything past U+10FFFF decodes to U+FFFD anyway.
  const big = BigInt(hex ? `0x${digits}` : digits)
  const num = big > 0x10ffffn ? Infinity : Number(big)
  const replacement = invalidCharref(num)
  if (replacement !== undefined) return replacement
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd'
  if (isInvalidCodepoint(num)) return ''
  return String.fromCodePoint(num)
}

/**
 * Python's `html.unescape`: named references from the HTML5 table (with or without `;`, the
 * longest known prefix of an unknown name), decimal and hexadecimal references with HTML5's
 * replacements for invalid ones.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text
  const names = html5Entities()
  return text.replace(CHARREF, (_match, ref: string) => {
    if (ref.startsWith('#')) return numericCharref(ref)
    const exact = names.get(ref)
    if (exact !== undefined) return exact
    for (let x = ref.length - 1; x > 1; x--) {
      const value = names.get(ref.slice(0, x))
      if (value !== undefined) return value + ref.slice(x)
    }
    return `&${ref}`
  })
}

// ftfy's HTML_ENTITY_RE: only references closed by `;`.
const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g

/**
 * ftfy's `unescape_html`: only references that end in `;` are decoded — named ones from the
 * HTML5 table plus all-caps spellings of the lower-case ones (`&EACUTE;` → `É`), numeric ones
 * when `html.unescape` consumes them whole — so informal text like "this&not that" survives.
 */
export function ftfyUnescapeHtml(text: string): string {
  const names = html5Entities()
  ftfyEntities ??= parseCodePointTable(FTFY_UPPERCASE_ENTITIES)
  const caps = ftfyEntities
  return text.replace(FTFY_ENTITY, (match) => {
    const name = match.slice(1)
    const value = names.get(name) ?? caps.get(name)
    if (value !== undefined) return value
    if (match.startsWith('&#')) {
      const unescaped = htmlUnescape(match)
      return unescaped.includes(';') ? match : unescaped
    }
    return match
  })
}
