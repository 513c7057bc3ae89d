import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { secureWebPreferences } from './window-options'

/** Every TypeScript source under main/ (tests excluded). */
function mainSources(dir = __dirname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'testdata' ? [] : mainSources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

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

describe('every window', () => {
  const sources = mainSources().map((file) => ({ file, text: readFileSync(file, 'utf8') }))

  it('is created with the pinned web preferences', () => {
    const windows = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/new BrowserWindow\(\{[\s\S]*?\n\s*\}\)/g)].map((m) => ({
        file,
        code: m[0]
      }))
    )
    expect(windows.length).toBeGreaterThan(0)
    for (const { file, code } of windows) {
      expect(code, file).toMatch(/webPreferences: secureWebPreferences\(/)
    }
    expect(sources.some(({ text }) => text.includes('BrowserView'))).toBe(false)
  })

  it('never relaxes a checklist setting anywhere in main', () => {
    const relaxed =
      /(nodeIntegration\w*|webviewTag|experimentalFeatures|allowRunningInsecureContent):\s*true|(contextIsolation|sandbox|webSecurity):\s*false|enableBlinkFeatures|disableBlinkFeatures/
    for (const { file, text } of sources) {
      expect(relaxed.exec(text)?.[0], file).toBeUndefined()
    }
  })
})
