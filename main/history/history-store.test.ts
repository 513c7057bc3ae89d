import { spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseA1111Parameters } from '../../shared/a1111-parameters'
import { StepwiseError } from '../../shared/errors'
import { decodePng, readPngText } from '../engine'
import { describeWriteFailure } from './history-files'
import { readHistoryIndex } from './history-index'
import { HistoryStore } from './history-store'
import { sampleResult } from '../../testing/history/sample-result'

let dir: string

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'stepwise-history-')), 'history')
})

afterEach(() => {
  if (existsSync(dir)) chmodSync(dir, 0o755)
})

async function rejection(promise: Promise<unknown>): Promise<StepwiseError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StepwiseError)
    return error as StepwiseError
  }
  throw new Error('expected a rejection')
}

function syncError(run: () => unknown): StepwiseError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(StepwiseError)
    return error as StepwiseError
  }
  throw new Error('expected an error')
}

const TSX = join(__dirname, '../../node_modules/tsx/dist/loader.mjs')

/** Runs a testdata script under tsx; resolves with its stdout. */
function runScript(
  script: string,
  args: string[],
  options: { uid?: number; gid?: number } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(__dirname, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
      ...options
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))
    )
  })
}

describe('HistoryStore', () => {
  it('stores the PNG with the A1111 parameters chunk and an index that survives a reload', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    expect(store.list()).toEqual({ entries: [], notice: null })
    const first = await store.add(sampleResult('a red circle'))
    const second = await store.add(sampleResult('a blue square', [0, 2]))
    expect(first.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
    expect(store.list().entries.map((e) => e.params.prompt)).toEqual([
      'a blue square',
      'a red circle'
    ])
    expect(second.previewSteps).toEqual([0, 2])

    const png = await store.image({ id: first.id })
    const decoded = decodePng(png)
    expect([decoded.width, decoded.height, decoded.data[0]]).toEqual([64, 64, 200])
    const parsed = parseA1111Parameters(readPngText(png)['parameters'] ?? '')
    expect(parsed.prompt).toBe('a red circle')
    expect(parsed.negativePrompt).toBe('blurry')
    expect(parsed.params).toMatchObject({ seed: 1234, steps: 4, width: 64, guidanceScale: 7.5 })
    expect(parsed.fields['Version']).toBe('Stepwise 0.1.0')
    const preview = decodePng(await store.image({ id: second.id, step: 2 }))
    expect([preview.width, preview.data[0]]).toEqual([8, 20])

    const reopened = await HistoryStore.open(dir, '0.1.0')
    expect(reopened.list()).toEqual(store.list())
    expect(reopened.get(first.id)).toEqual(first)
    expect(await reopened.image({ id: first.id })).toEqual(png)
  })

  it('deletes an entry with its files, and says not-found for unknown ids', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    const kept = await store.add(sampleResult('kept'))
    const gone = await store.add(sampleResult('gone', [1]))
    await store.delete(gone.id)
    expect(store.list().entries.map((e) => e.id)).toEqual([kept.id])
    expect(existsSync(store.files.image(gone.id))).toBe(false)
    expect(existsSync(store.files.previewFolder(gone.id))).toBe(false)
    expect(existsSync(store.files.image(kept.id))).toBe(true)
    expect((await HistoryStore.open(dir, '0.1.0')).list().entries.map((e) => e.id)).toEqual([
      kept.id
    ])
    expect((await rejection(store.delete(gone.id))).code).toBe('not-found')
    expect(syncError(() => store.get(gone.id)).code).toBe('not-found')
    expect((await rejection(store.image({ id: gone.id }))).code).toBe('not-found')
  })

  it('keeps every request inside the history folder', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    const entry = await store.add(sampleResult('x', [0]))
    writeFileSync(join(dir, '..', 'secret.png'), 'not yours')
    for (const id of ['../secret', '..', '/etc/passwd', 'images/x', `${entry.id}/../../secret`]) {
      expect((await rejection(store.image({ id }))).code).toBe('not-found')
      expect(() => store.files.image(id)).toThrow(/not a history id/)
    }
    expect(() => store.files.preview(entry.id, -1)).toThrow(/step must be an integer/)
    const notKept = await rejection(store.image({ id: entry.id, step: 3 }))
    expect(notKept.code).toBe('not-found')
    expect(notKept.message).toMatch(/kept no preview of step 3 \(kept: 0\)/)
    // An index naming a path as an id is not a sound index: it is moved aside, never used.
    writeFileSync(
      store.files.indexFile,
      JSON.stringify({ version: 1, entries: [{ ...entry, id: '../../secret' }] })
    )
    const reopened = await HistoryStore.open(dir, '0.1.0')
    expect(reopened.list().entries).toEqual([])
    expect(reopened.notice).toMatch(/entries\.0\.id: must be an id/)
  })

  it('tolerates a temporary file left by a crash', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    const entry = await store.add(sampleResult())
    const leftover = `${store.files.indexFile}.tmp-999999-deadbeef`
    writeFileSync(leftover, '{"version": 1, "entries": [ half')
    const reopened = await HistoryStore.open(dir, '0.1.0')
    expect(reopened.list()).toEqual({ entries: [entry], notice: null })
    expect(existsSync(leftover)).toBe(false)
  })

  it('reports a corrupt index and keeps it aside instead of overwriting it', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    await store.add(sampleResult('old'))
    const corrupt = '{"version": 1, "entries": [ {"id": "trunc'
    writeFileSync(store.files.indexFile, corrupt)
    const reopened = await HistoryStore.open(dir, '0.1.0')
    expect(reopened.list().entries).toEqual([])
    expect(reopened.notice).toMatch(/^the history index was not valid JSON .*; it was kept as /)
    const aside = readdirSync(dir).filter((n) => n.startsWith('index.corrupt-'))
    expect(aside).toHaveLength(1)
    expect(readFileSync(join(dir, aside[0] as string), 'utf8')).toBe(corrupt)
    // The history keeps working with a fresh index.
    const fresh = await reopened.add(sampleResult('new'))
    expect((await HistoryStore.open(dir, '0.1.0')).list().entries).toEqual([fresh])
  })

  it('moves aside an index that turned corrupt while open rather than overwrite it', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    const first = await store.add(sampleResult('first'))
    writeFileSync(store.files.indexFile, '[]')
    const second = await store.add(sampleResult('second'))
    expect(store.notice).toMatch(/not a Stepwise history index/)
    expect(store.list().entries).toEqual([second, first])
    expect(readdirSync(dir).filter((n) => n.startsWith('index.corrupt-'))).toHaveLength(1)
  })

  it('survives a hard kill in the middle of index writes', async () => {
    const index = join(dir, 'index.json')
    mkdirSync(dir, { recursive: true })
    for (let round = 0; round < 3; round++) {
      const child = spawn(
        process.execPath,
        ['--import', TSX, join(__dirname, '../../testing/history/index-writer.ts'), index],
        { stdio: ['ignore', 'pipe', 'inherit'] }
      )
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve())
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)))
        setTimeout(() => reject(new Error('writer did not start')), 30_000)
      }).catch((error: unknown) => {
        child.kill('SIGKILL')
        throw error
      })
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80))
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
      const read = await readHistoryIndex(index)
      expect(read.kind).toBe('ok')
      const store = await HistoryStore.open(dir, '0.1.0')
      expect(store.notice).toBeNull()
      expect(store.list().entries.length).toBeGreaterThanOrEqual(200)
      expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([])
    }
  }, 120_000)

  it('reports a read-only folder clearly and leaves the index intact', async () => {
    const store = await HistoryStore.open(dir, '0.1.0')
    await store.add(sampleResult('before'))
    await store.flush()
    const indexBefore = readFileSync(store.files.indexFile)
    chmodSync(join(dir, '..'), 0o755)
    chmodSync(dir, 0o555)
    chmodSync(store.files.imagesDir, 0o555)
    // Root ignores file modes, so the save runs as an unprivileged user there.
    const asRoot = process.getuid?.() === 0
    const out = await runScript(
      '../../testing/history/save-once.ts',
      [dir],
      asRoot ? { uid: 65534, gid: 65534 } : {}
    )
    const outcome = JSON.parse(out) as { ok: boolean; code?: string; message?: string }
    expect(outcome.ok).toBe(false)
    expect(outcome.code).toBe('failed')
    expect(outcome.message).toMatch(/the folder .* is read-only or not writable \(EACCES\)/)
    expect(readFileSync(store.files.indexFile)).toEqual(indexBefore)
    chmodSync(dir, 0o755)
    chmodSync(store.files.imagesDir, 0o755)
    expect((await HistoryStore.open(dir, '0.1.0')).list().entries).toHaveLength(1)
  }, 60_000)

  it('explains full disks and other write failures in plain words', () => {
    const error = (code: string): Error => Object.assign(new Error(`${code}: boom`), { code })
    expect(describeWriteFailure(error('ENOSPC'), '/h')).toMatch(/disk holding \/h is full/)
    expect(describeWriteFailure(error('EROFS'), '/h')).toMatch(/read-only or not writable/)
    expect(describeWriteFailure(error('EIO'), '/h')).toBe(
      'could not save to history in /h: EIO: boom'
    )
  })
})
