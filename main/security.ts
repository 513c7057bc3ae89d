import type { WebContents } from 'electron'
import { isAllowedExternalUrl } from './external-links'

/**
 * Is `url` one of the app's own pages? Production windows load the bundled renderer from a
 * file URL inside the app; development windows load the electron-vite dev server.
 */
export function isAppUrl(url: string, rendererFileUrl: string, devServerUrl?: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'file:') {
    return parsed.pathname === new URL(rendererFileUrl).pathname
  }
  if (devServerUrl !== undefined) {
    return parsed.origin === new URL(devServerUrl).origin
  }
  return false
}

/**
 * Denies navigation away from the app and every attempt to open a new window. Links the app
 * itself makes (see ./external-links.ts) go to the user's browser through `openExternal`
 * instead; every other URL is dropped.
 */
export function lockDownNavigation(
  contents: WebContents,
  isAllowed: (url: string) => boolean,
  openExternal: (url: string) => void = () => undefined
): void {
  const elsewhere = (url: string): void => {
    if (isAllowedExternalUrl(url)) openExternal(url)
  }
  contents.on('will-navigate', (event, url) => {
    if (isAllowed(url)) return
    event.preventDefault()
    elsewhere(url)
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAllowed(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    elsewhere(url)
    return { action: 'deny' }
  })
}
