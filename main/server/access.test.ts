import { describe, expect, it } from 'vitest'
import { allowedOrigins, createSessionToken, hostAllowed, tokenMatches } from './access'

describe('browser-mode access checks', () => {
  it('creates unguessable, URL-safe tokens that differ per start', () => {
    const a = createSessionToken()
    const b = createSessionToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(a).not.toBe(b)
  })

  it('matches only the exact token', () => {
    const token = createSessionToken()
    expect(tokenMatches(token, token)).toBe(true)
    expect(tokenMatches(token, token.slice(1))).toBe(false)
    expect(tokenMatches(token, null)).toBe(false)
    expect(tokenMatches(token, '')).toBe(false)
  })

  it('allows only loopback origins and hosts of its own port', () => {
    expect(allowedOrigins(5180)).toEqual(['http://127.0.0.1:5180', 'http://localhost:5180'])
    expect(hostAllowed('127.0.0.1:5180', 5180)).toBe(true)
    expect(hostAllowed('localhost:5180', 5180)).toBe(true)
    expect(hostAllowed('evil.example:5180', 5180)).toBe(false)
    expect(hostAllowed('127.0.0.1:5181', 5180)).toBe(false)
    expect(hostAllowed(undefined, 5180)).toBe(false)
  })
})
