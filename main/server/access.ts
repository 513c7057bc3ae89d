import { randomBytes, timingSafeEqual } from 'node:crypto'

/** A per-start secret: only pages opened from the printed URL can talk to the server. */
export function createSessionToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Constant-time token comparison, so the token cannot be guessed byte by byte. */
export function tokenMatches(expected: string, candidate: string | null | undefined): boolean {
  if (typeof candidate !== 'string') return false
  const a = Buffer.from(expected)
  const b = Buffer.from(candidate)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The origins a page served by this server can have (loopback by IP or by name). */
export function allowedOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
}

/**
 * Host header check against DNS rebinding: a foreign site that makes its own host name
 * resolve to 127.0.0.1 still sends its own name in `Host`.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`
}
