/**
 * What can go wrong in a Hub download, as a code a caller can branch on (retry later, ask for a
 * token, pick another folder) plus a message a person can act on.
 */
export type HubErrorCode =
  /** Bad repo id, revision, endpoint, token format or destination; nothing was fetched. */
  | 'invalid-argument'
  /** 401/403: the repository is gated or private and the token is missing or lacks access. */
  | 'unauthorized'
  /** 404: no such repository, revision or file. */
  | 'not-found'
  /** The repository is not an ONNX diffusion pipeline (no model_index.json, no unet/model.onnx…). */
  | 'not-onnx-pipeline'
  /** The listing has something unsafe or impossible (a path escaping the folder, a bad size). */
  | 'invalid-listing'
  /** A downloaded file's size differs from the listing. */
  | 'size-mismatch'
  /** A downloaded file's hash differs from the listing; the file was deleted. */
  | 'hash-mismatch'
  /** Connection errors or 5xx answers outlasted the retries. */
  | 'network'
  /** An HTTP answer the client cannot use (e.g. an unexpected status). */
  | 'http'
  /** Not enough free space in the destination. */
  | 'disk-space'
  /** The destination cannot be written (permissions, a file where a folder should be…). */
  | 'filesystem'
  /** Cancelled through the AbortSignal; partial files are kept for a resume. */
  | 'aborted'

/** An error from a Hub download. Its message never contains the access token. */
export class HubError extends Error {
  readonly code: HubErrorCode
  /** The HTTP status behind the error, when there was one. */
  readonly status: number | undefined

  constructor(
    code: HubErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {}
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HubError'
    this.code = code
    this.status = options.status
  }
}

/**
 * Replaces every occurrence of `secret` in `text`. A safety net for messages built from text we
 * do not control (a server's error body, a socket error), which might echo a header back.
 */
export function redact(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text
  return text.split(secret).join('[token]')
}

/** The message of anything thrown, without the secret. */
export function describeError(error: unknown, secret?: string): string {
  let message: string
  if (error instanceof Error) {
    // undici reports socket problems as `TypeError: terminated` with the real reason in `cause`.
    const cause = error.cause instanceof Error ? error.cause.message : undefined
    message =
      cause !== undefined && cause !== error.message ? `${error.message} (${cause})` : error.message
  } else {
    message = String(error)
  }
  return redact(message, secret)
}

/** True for an error raised because an AbortSignal fired. */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) return true
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')
}
