import { spawn } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { downloadModel } from './download-model'
import { COMPLETE_MARKER, readDownloadStatus } from './download-state'
import { HubError } from './hub-error'
import {
  EventLog,
  FAST_RETRY,
  fixtureModel,
  makeTempDir,
  REPO_ROOT,
  removeTempDir,
  waitFor
} from '../../../testing/test-hub/hub-test-helpers'
import type { Fault } from '../../../testing/test-hub/fault-rules'
import { startTestHub, type TestHub } from '../../../testing/test-hub/test-hub-server'

const REPO = 'stepwise/tiny-sd'
const BIG = 'unet/model.onnx_data' // 3.9 MB, LFS: served by the CDN
const K = 1_000_000 // where the injected cut or stall happens
const TSX = path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')
const ENTRY = path.join(__dirname, '../../../testing/test-hub/models-download-entry.ts')

let hub: TestHub
let tmp: string
let bigSha: string
let bigBytes: Buffer

beforeAll(async () => {
  hub = await startTestHub({ repos: [{ repo: REPO, dir: fixtureModel('tiny-sd-random') }] })
  tmp = await makeTempDir()
  const file = hub.snapshot(REPO).files.find((f) => f.path === BIG)
  if (file === undefined) throw new Error(`${BIG} missing from the fixture`)
  bigSha = file.sha256
  bigBytes = file.content
})

afterAll(async () => {
  await hub.close()
  await removeTempDir(tmp)
})

beforeEach(() => {
  hub.clearFaults()
})

/** The CDN requests for the big file since `from`, as [status, range] pairs. */
function bigRequests(from: number): [number, string | null][] {
  return hub.requests
    .slice(from)
    .filter((r) => r.server === 'cdn' && r.path.endsWith(bigSha))
    .map((r) => [r.status, r.range])
}

/**
 * The offset a resume asked for after a cut at K. Not always K itself: fetch's body stream drops
 * chunks it had queued but not yet handed out when the connection errors, so the client keeps
 * up to K bytes and must resume from exactly what it kept.
 */
function resumedAt(range: string | null | undefined): number {
  const m = /^bytes=(\d+)-$/.exec(range ?? '')
  const at = m === null ? NaN : Number(m[1])
  expect(at).toBeGreaterThan(0)
  expect(at).toBeLessThanOrEqual(K)
  return at
}

async function expectComplete(dest: string): Promise<void> {
  expect((await fs.readFile(path.join(dest, BIG))).equals(bigBytes)).toBe(true)
  expect((await readDownloadStatus(dest)).state).toBe('complete')
  await expect(fs.stat(path.join(dest, `${BIG}.part`))).rejects.toThrow()
}

/**
 * Downloads the repository into `tmp/name` with the big file's connection cut at K (and `extra`
 * injected after it), expects it complete, and returns its events and the big file's requests.
 */
async function downloadAfterCut(
  name: string,
  extra?: Fault
): Promise<{ log: EventLog; requests: [number, string | null][] }> {
  const dest = path.join(tmp, name)
  const from = hub.requests.length
  hub.inject({ kind: 'cut', afterBytes: K, match: { path: BIG } })
  if (extra !== undefined) hub.inject(extra)
  const log = new EventLog()
  await downloadModel({
    repo: REPO,
    dest,
    endpoint: hub.endpoint,
    retry: FAST_RETRY,
    onEvent: log.push
  })
  await expectComplete(dest)
  return { log, requests: bigRequests(from) }
}

describe('resuming downloads', () => {
  it('resumes after a connection cut mid-file, fetching only the missing range', async () => {
    const { log, requests } = await downloadAfterCut('cut')
    const at = resumedAt(requests[1]?.[1])
    expect(requests).toEqual([
      [200, null],
      [206, `bytes=${at}-`]
    ])
    const retry = log.of('retry')
    expect(retry).toHaveLength(1)
    expect(retry[0]?.path).toBe(BIG)
    expect(retry[0]?.reason).toMatch(/terminated|closed/)
    expect(log.of('file-restart')).toEqual([])
  })

  it('starts the file over when the server ignores the Range request', async () => {
    const { log, requests } = await downloadAfterCut('ignore-range', {
      kind: 'ignore-range',
      match: { path: BIG }
    })
    const at = resumedAt(requests[1]?.[1])
    expect(requests).toEqual([
      [200, null],
      [200, `bytes=${at}-`]
    ])
    expect(log.of('file-restart').map((e) => e.reason)).toEqual([
      'the server ignored the Range request (answered 200); starting the file over'
    ])
  })

  it('starts the file over when the server answers a different range', async () => {
    const { log, requests } = await downloadAfterCut('wrong-range', {
      kind: 'wrong-range',
      match: { path: BIG }
    })
    const at = resumedAt(requests[1]?.[1])
    expect(requests).toEqual([
      [200, null],
      [206, `bytes=${at}-`],
      [200, null]
    ])
    expect(log.of('file-restart')[0]?.reason).toMatch(
      new RegExp(
        `different range \\(bytes 0-${bigBytes.length - 1}/${bigBytes.length}\\) than bytes=${at}-`
      )
    )
  })

  it('cancels through the AbortSignal, keeps the partial file, and resumes from it', async () => {
    const dest = path.join(tmp, 'cancel')
    hub.inject({ kind: 'stall', afterBytes: K, match: { path: BIG } })
    const controller = new AbortController()
    const error = await downloadModel({
      repo: REPO,
      dest,
      endpoint: hub.endpoint,
      signal: controller.signal,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type === 'progress' && e.path === BIG && e.fileDoneBytes >= K) controller.abort()
      }
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HubError)
    expect((error as HubError).code).toBe('aborted')
    expect((error as HubError).message).toMatch(/cancelled; partial files were kept/)
    expect((await fs.stat(path.join(dest, `${BIG}.part`))).size).toBe(K)
    expect((await readDownloadStatus(dest)).state).toBe('partial')
    await expect(fs.stat(path.join(dest, COMPLETE_MARKER))).rejects.toThrow()

    const from = hub.requests.length
    const log = new EventLog()
    await downloadModel({ repo: REPO, dest, endpoint: hub.endpoint, onEvent: log.push })
    await expectComplete(dest)
    expect(bigRequests(from)).toEqual([[206, `bytes=${K}-`]])
    expect(log.of('file-start').find((e) => e.path === BIG)?.offset).toBe(K)
    // Files finished before the cancel are not fetched again.
    expect(log.of('file-done').filter((e) => e.reused).length).toBeGreaterThan(0)
  })

  it('a new process resumes from the .part file a killed one left', async () => {
    const dest = path.join(tmp, 'restart')
    hub.inject({ kind: 'stall', afterBytes: K, match: { path: BIG } })
    const child = spawn(
      process.execPath,
      ['--import', TSX, ENTRY, REPO, '--dest', dest, '--endpoint', hub.endpoint],
      { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code))
    )
    try {
      await waitFor(
        async () => (await fs.stat(path.join(dest, `${BIG}.part`)).catch(() => null))?.size === K,
        30_000
      )
    } finally {
      child.kill('SIGKILL')
    }
    await exited
    expect(stderr).toMatch(/files, .* to fetch/)
    expect((await readDownloadStatus(dest)).state).toBe('partial')

    const from = hub.requests.length
    const log = new EventLog()
    const result = await downloadModel({
      repo: REPO,
      dest,
      endpoint: hub.endpoint,
      onEvent: log.push
    })
    await expectComplete(dest)
    expect(bigRequests(from)).toEqual([[206, `bytes=${K}-`]])
    expect(log.of('file-start').find((e) => e.path === BIG)?.offset).toBe(K)
    expect(result.downloadedBytes).toBeLessThanOrEqual(result.totalBytes - K)
  })

  it('throws away a partial file that is larger than the listed size', async () => {
    const dest = path.join(tmp, 'oversized')
    hub.inject({ kind: 'stall', afterBytes: K, match: { path: BIG } })
    const controller = new AbortController()
    await downloadModel({
      repo: REPO,
      dest,
      endpoint: hub.endpoint,
      signal: controller.signal,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type === 'progress' && e.path === BIG && e.fileDoneBytes >= K) controller.abort()
      }
    }).catch(() => undefined)
    await fs.writeFile(path.join(dest, `${BIG}.part`), Buffer.alloc(bigBytes.length + 10, 1))

    const from = hub.requests.length
    const log = new EventLog()
    await downloadModel({ repo: REPO, dest, endpoint: hub.endpoint, onEvent: log.push })
    await expectComplete(dest)
    expect(log.of('file-restart')[0]?.reason).toMatch(/larger than the listed size/)
    expect(bigRequests(from)).toEqual([[200, null]])
  })
})
