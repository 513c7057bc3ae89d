import type { WebPreferences } from 'electron'

/**
 * The web preferences of every Stepwise window (Electron security checklist items 2–4, 6, 10):
 * the page gets no Node, runs sandboxed and isolated from the preload, and cannot relax web
 * security or enable experimental platform features. Tests pin this object.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    spellcheck: false
  }
}
