import { describe, expect, it } from 'vitest'
import { secureWebPreferences } from './window-options'

describe('secureWebPreferences', () => {
  it('pins the security checklist settings of every window', () => {
    expect(secureWebPreferences('/app/preload.js')).toEqual({
      preload: '/app/preload.js',
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
    })
  })
})
