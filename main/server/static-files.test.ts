import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readStaticFile } from './static-files'

let root: string

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'stepwise-static-'))
  root = join(base, 'renderer')
  mkdirSync(join(root, 'assets'), { recursive: true })
  writeFileSync(join(root, 'index.html'), '<!doctype html>')
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(base, 'secret.txt'), 'outside the bundle')
})

describe('readStaticFile', () => {
  it('serves index.html for / and files inside the folder with their types', async () => {
    expect((await readStaticFile(root, '/'))?.contentType).toBe('text/html; charset=utf-8')
    const js = await readStaticFile(root, '/assets/app.js')
    expect(js?.body.toString()).toBe('console.log(1)')
    expect(js?.contentType).toBe('text/javascript; charset=utf-8')
  })

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets%5c..%5c..%5csecret.txt',
    '/%00',
    '/%E0%A4%A'
  ])('refuses %s', async (path) => {
    expect(await readStaticFile(root, path)).toBeNull()
  })

  it('returns null for folders and missing files', async () => {
    expect(await readStaticFile(root, '/assets')).toBeNull()
    expect(await readStaticFile(root, '/missing.js')).toBeNull()
  })
})
