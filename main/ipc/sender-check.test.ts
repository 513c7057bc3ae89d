import { describe, expect, it } from 'vitest'
import { isAppUrl } from '../security'
import { senderAllowed } from './sender-check'

const app = 'file:///opt/Stepwise/resources/app.asar/out/renderer/index.html'
const trusted = (url: string): boolean => isAppUrl(url, app)

describe('senderAllowed', () => {
  it('allows the app page in a top-level frame only', () => {
    expect(senderAllowed({ url: app, parent: null }, trusted)).toBe(true)
    expect(senderAllowed({ url: app, parent: { url: app } }, trusted)).toBe(false)
    expect(senderAllowed({ url: 'https://evil.example/', parent: null }, trusted)).toBe(false)
    expect(senderAllowed({ url: 'file:///tmp/evil.html', parent: null }, trusted)).toBe(false)
    expect(senderAllowed(null, trusted)).toBe(false)
    expect(senderAllowed(undefined, trusted)).toBe(false)
  })
})
