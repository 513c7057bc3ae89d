import { HubError } from './hub-error'

// The Hub's own rule: letters, digits, '-', '_', '.', at most 96 characters, an optional
// namespace; no leading/trailing '-' or '.', no '--' or '..'.
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/

/** Checks a repo id such as `stabilityai/sd-turbo`; throws an `invalid-argument` HubError. */
export function validateRepoId(repo: string): string {
  const trimmed = repo.trim()
  const parts = trimmed.split('/')
  const ok =
    parts.length >= 1 &&
    parts.length <= 2 &&
    parts.every((p) => NAME.test(p) && !p.includes('--') && !p.includes('..'))
  if (!ok) {
    throw new HubError(
      'invalid-argument',
      `${JSON.stringify(repo)} is not a Hub repository id (expected owner/name, e.g. stabilityai/sd-turbo)`
    )
  }
  return trimmed
}

/**
 * Checks a revision (branch, tag, commit or `refs/pr/N`). Refuses what could change the URL's
 * meaning: whitespace, control characters, `..` segments, a leading or trailing `/`.
 */
export function validateRevision(revision: string): string {
  const ok =
    revision.length > 0 &&
    revision.length <= 255 &&
    // eslint-disable-next-line no-control-regex
    !/[\s\u0000-\u001f\u007f?#\\]/.test(revision) &&
    !revision.startsWith('/') &&
    !revision.endsWith('/') &&
    !revision.split('/').some((s) => s === '' || s === '.' || s === '..')
  if (!ok) {
    throw new HubError(
      'invalid-argument',
      `${JSON.stringify(revision)} is not a revision (a branch, tag or commit such as main, onnx, refs/pr/1)`
    )
  }
  return revision
}

/** `…/{repo}/resolve/{revision}/{path}`, each path segment URL-encoded. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/')
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`
}

/**
 * A URL for logs and messages: origin and path only. CDN redirects carry short-lived signatures
 * in the query string, which are credentials in all but name.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}
