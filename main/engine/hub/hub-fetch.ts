import { HubError } from './hub-error'
import { displayUrl } from './repo-ref'

/** `fetch`'s signature, as `@huggingface/hub` accepts it for its own requests. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** How {@link createHubFetch} authenticates and reports. */
export interface HubFetchOptions {
  /** The configured endpoint; the token goes to this origin and no other. */
  endpoint: string
  accessToken?: string
  /** Receives one line per HTTP exchange (method, URL without query, status). Never the token. */
  log?: (line: string) => void
  /** Redirect hops allowed per request. */
  maxRedirects?: number
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * A `fetch` that follows redirects itself so that it can decide per hop what to send: the
 * `Authorization` header only to the configured endpoint's origin (the Hub's `resolve` answers
 * 302 to a CDN on another host, which must never see the token), every other header — notably
 * `Range` — to every hop.
 */
export function createHubFetch(options: HubFetchOptions): FetchLike {
  const endpointOrigin = new URL(options.endpoint).origin
  const maxRedirects = options.maxRedirects ?? 10
  const log = options.log

  return async (input, init = {}) => {
    let url = input instanceof Request ? input.url : input.toString()
    const method = (init.method ?? 'GET').toUpperCase()
    const baseHeaders = new Headers(init.headers)
    // Whatever a caller put there, the token is ours to place.
    baseHeaders.delete('authorization')
    for (let hop = 0; ; hop++) {
      const headers = new Headers(baseHeaders)
      const sameOrigin = new URL(url).origin === endpointOrigin
      if (sameOrigin && options.accessToken !== undefined) {
        headers.set('authorization', `Bearer ${options.accessToken}`)
      }
      const range = headers.get('range')
      const response = await fetch(url, { ...init, method, headers, redirect: 'manual' })
      log?.(
        `${method} ${displayUrl(url)}${range === null ? '' : ` (${range})`} -> ${response.status}`
      )
      if (!REDIRECTS.has(response.status)) return response
      const location = response.headers.get('location')
      // Redirect bodies are tiny; drain them so the connection can be reused.
      await response.body?.cancel().catch(() => undefined)
      if (location === null) {
        throw new HubError(
          'http',
          `${displayUrl(url)} answered ${response.status} without a Location header`,
          { status: response.status }
        )
      }
      if (hop >= maxRedirects) {
        throw new HubError('http', `too many redirects fetching ${displayUrl(url)}`)
      }
      const next = new URL(location, url)
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new HubError('http', `${displayUrl(url)} redirected to a non-HTTP URL`)
      }
      url = next.toString()
    }
  }
}
