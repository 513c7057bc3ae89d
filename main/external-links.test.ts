import { describe, expect, it } from 'vitest'
import { homepage } from '../package.json'
import { isAllowedExternalUrl } from './external-links'

describe('isAllowedExternalUrl', () => {
  it('allows the https links the app makes', () => {
    expect(homepage).toBe('https://github.com/stepwise-app/stepwise')
    expect(isAllowedExternalUrl(homepage)).toBe(true)
    expect(isAllowedExternalUrl(`${homepage}/issues/new`)).toBe(true)
    expect(isAllowedExternalUrl(`${homepage}#readme`)).toBe(true)
    expect(
      isAllowedExternalUrl('https://huggingface.co/docs/diffusers/using-diffusers/callback')
    ).toBe(true)
  })

  it('refuses everything else', () => {
    for (const url of [
      'http://github.com/stepwise-app/stepwise',
      'https://github.com/stepwise-app/stepwise-evil',
      'https://github.com/stepwise-app',
      'https://github.com.evil.example/stepwise-app/stepwise',
      'https://user:pw@github.com/stepwise-app/stepwise',
      'https://github.com:8443/stepwise-app/stepwise',
      'https://huggingface.co/docs/transformers/',
      'https://huggingface.co/docs/diffusers',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://share/x',
      'ms-settings:',
      'not a url',
      ''
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false)
    }
  })

  it('judges the parsed URL, not the text', () => {
    expect(isAllowedExternalUrl('https://github.com/stepwise-app/stepwise/../../evil')).toBe(false)
    expect(isAllowedExternalUrl('HTTPS://GITHUB.COM/stepwise-app/stepwise/wiki')).toBe(true)
  })
})
