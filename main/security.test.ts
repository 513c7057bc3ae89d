import { describe, expect, it } from 'vitest'
import { isAppUrl } from './security'

const rendererUrl = 'file:///opt/Stepwise/resources/app.asar/out/renderer/index.html'

describe('isAppUrl', () => {
  it('accepts the bundled renderer page only', () => {
    expect(isAppUrl(rendererUrl, rendererUrl)).toBe(true)
    expect(isAppUrl(rendererUrl + '#history', rendererUrl)).toBe(true)
    expect(isAppUrl('file:///etc/passwd', rendererUrl)).toBe(false)
    expect(isAppUrl('https://example.com/', rendererUrl)).toBe(false)
    expect(isAppUrl('not a url', rendererUrl)).toBe(false)
  })

  it('accepts the dev server origin only when one is configured', () => {
    expect(isAppUrl('http://localhost:5173/', rendererUrl)).toBe(false)
    expect(isAppUrl('http://localhost:5173/', rendererUrl, 'http://localhost:5173')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', rendererUrl, 'http://localhost:5173')).toBe(false)
  })
})
