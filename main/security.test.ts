import { EventEmitter } from 'node:events'
import type { WebContents } from 'electron'
import { describe, expect, it } from 'vitest'
import { homepage } from '../package.json'
import { isAppUrl, lockDownNavigation } from './security'

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

/**
 * A stand-in for the WebContents events lockDownNavigation listens to. It tests our handlers'
 * decisions (what is allowed, what is opened outside), not Electron; the Electron e2e test
 * (e2e/security.spec.ts) checks the real window.
 */
class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler
  }
  /** Emits a cancellable event; returns whether a handler prevented it. */
  fire(name: string, url?: string): boolean {
    let prevented = false
    this.emit(name, { preventDefault: () => (prevented = true) }, url)
    return prevented
  }
}

describe('lockDownNavigation', () => {
  const setUp = () => {
    const contents = new FakeContents()
    const opened: string[] = []
    lockDownNavigation(
      contents as unknown as WebContents,
      (url) => isAppUrl(url, rendererUrl),
      (url) => opened.push(url)
    )
    return { contents, opened }
  }
  const appLink = `${homepage}/issues`

  it('lets the window navigate within the app only; an app-made https link opens outside', () => {
    const { contents, opened } = setUp()
    expect(contents.fire('will-navigate', `${rendererUrl}#history`)).toBe(false)
    for (const url of [
      'https://evil.example/',
      'http://127.0.0.1:1234/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      `${homepage.replace('https:', 'http:')}/issues`,
      appLink
    ]) {
      expect(contents.fire('will-navigate', url), url).toBe(true)
    }
    // Of all those, only the app's own https link reached the user's browser.
    expect(opened).toEqual([appLink])
  })

  it('blocks redirects away from the app and every webview', () => {
    const { contents, opened } = setUp()
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true)
    expect(contents.fire('will-redirect', appLink)).toBe(true)
    expect(contents.fire('will-redirect', rendererUrl)).toBe(false)
    expect(contents.fire('will-attach-webview')).toBe(true)
    expect(opened).toEqual([])
  })

  it('denies every new window, opening only app-made https links outside', () => {
    const { contents, opened } = setUp()
    const open = contents.openHandler
    expect(open).not.toBeNull()
    for (const url of [appLink, 'https://evil.example/', rendererUrl, 'about:blank']) {
      expect(open?.({ url }), url).toEqual({ action: 'deny' })
    }
    expect(opened).toEqual([appLink])
  })
})
