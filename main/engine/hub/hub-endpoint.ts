import { HubError } from './hub-error'

/** The public Hugging Face Hub. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co'

/**
 * The Hub endpoint to talk to: the explicit option, else `HF_ENDPOINT` (the variable
 * huggingface_hub and huggingface.js read, used for mirrors and our test hub), else
 * huggingface.co. Returned as an origin plus optional base path, without a trailing slash.
 * Only http and https are accepted, and no credentials in the URL (they would end up in logs).
 */
export function resolveHubEndpoint(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env
): string {
  const fromEnv = env.HF_ENDPOINT?.trim()
  const raw = option?.trim() || (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined)
  if (raw === undefined) return DEFAULT_HUB_ENDPOINT
  const source = option?.trim() ? 'the endpoint' : 'HF_ENDPOINT'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new HubError('invalid-argument', `${source} ${JSON.stringify(raw)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubError(
      'invalid-argument',
      `${source} must be an http or https URL (got ${url.protocol.replace(':', '')})`
    )
  }
  if (url.username !== '' || url.password !== '') {
    throw new HubError(
      'invalid-argument',
      `${source} must not contain a user name or password; pass an access token instead`
    )
  }
  if (url.search !== '' || url.hash !== '') {
    throw new HubError('invalid-argument', `${source} must not have a query or fragment`)
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}
