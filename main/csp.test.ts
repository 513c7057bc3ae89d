import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

/**
 * The renderer's Content-Security-Policy, pinned (Electron security checklist item 7). The page
 * loads from file:// in Electron, where only a <meta> policy applies, and from the browser-mode
 * server, where the same meta applies; a change to it must be a deliberate change to this test.
 */
const RENDERER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"

const ROOT = join(__dirname, '..')

/** Every CSP meta tag's content in an HTML file. */
function policiesIn(file: string): string[] {
  const html = readFileSync(file, 'utf8')
  const metas = html.match(/<meta\b[^>]*>/gis) ?? []
  return metas
    .filter((m) => /http-equiv\s*=\s*"Content-Security-Policy"/i.test(m))
    .map((m) => /content\s*=\s*"([^"]*)"/i.exec(m)?.[1] ?? '')
}

function scriptsIn(file: string): string[] {
  return readFileSync(file, 'utf8').match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? []
}

beforeAll(async () => {
  // The built page is checked as shipped: rebuild first if a source is newer than out/.
  const build = spawn(process.execPath, [join(ROOT, 'scripts/ensure-build.mjs')], { cwd: ROOT })
  let stderr = ''
  build.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((done) => build.on('close', done))
  if (code !== 0) throw new Error(`build failed: ${stderr}`)
}, 300_000)

describe('the renderer CSP', () => {
  for (const [name, file] of [
    ['source', join(ROOT, 'renderer/index.html')],
    ['built', join(ROOT, 'out/renderer/index.html')]
  ] as const) {
    it(`is exactly the pinned policy in the ${name} index.html`, () => {
      expect(policiesIn(file)).toEqual([RENDERER_CSP])
    })

    it(`leaves no inline script in the ${name} index.html`, () => {
      const scripts = scriptsIn(file)
      expect(scripts.length).toBeGreaterThan(0)
      for (const script of scripts) {
        expect(script).toMatch(/\bsrc="\.\/[^"]+"/) // a bundled file, relative to the page
        expect(script).toMatch(/>\s*<\/script>$/) // and no inline body
      }
    })
  }

  it('allows no inline or eval’d script, no plugin, no foreign origin', () => {
    const directives = new Map(
      RENDERER_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/)
        return [name, values] as const
      })
    )
    expect(directives.get('default-src')).toEqual(["'none'"])
    expect(directives.get('script-src')).toEqual(["'self'"])
    expect(directives.get('object-src')).toEqual(["'none'"])
    expect(directives.get('base-uri')).toEqual(["'none'"])
    for (const values of directives.values()) {
      for (const value of values) {
        expect(value).not.toMatch(/unsafe|^\*$|^https?:|^ws:|^wss:/)
      }
    }
  })
})
