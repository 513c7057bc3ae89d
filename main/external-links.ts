import { homepage } from '../package.json'

/**
 * The https links the app itself makes (project pages, the diffusers documentation it cites) —
 * the only URLs handed to `shell.openExternal`. A page cannot widen this list: anything else a
 * window tries to open or navigate to is dropped (Electron security checklist items 14–15).
 */
export const EXTERNAL_LINK_PREFIXES: readonly string[] = [
  homepage,
  'https://huggingface.co/docs/diffusers/'
]

function parsePrefix(prefix: string): { host: string; path: string } {
  const url = new URL(prefix)
  return { host: url.host, path: url.pathname }
}

/**
 * May `url` be opened in the user's browser? Only https, no credentials or custom port, the
 * exact host of an allowed prefix and a path at or below the prefix's path (so
 * `…/stepwise-evil` does not pass for `…/stepwise`).
 */
export function isAllowedExternalUrl(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') {
    return false
  }
  if (parsed.port !== '') return false
  return EXTERNAL_LINK_PREFIXES.some((prefix) => {
    const allowed = parsePrefix(prefix)
    if (parsed.host !== allowed.host) return false
    const base = allowed.path.endsWith('/') ? allowed.path : `${allowed.path}/`
    return parsed.pathname === allowed.path || parsed.pathname.startsWith(base)
  })
}
