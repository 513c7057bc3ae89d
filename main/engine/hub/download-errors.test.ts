import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { downloadModel, type DownloadModelOptions } from './download-model'
import { COMPLETE_MARKER, readDownloadStatus } from './download-state'
import { HubError } from './hub-error'
import {
  EventLog,
  FAST_RETRY,
  fixtureModel,
  listTree,
  makeTempDir,
  removeTempDir
} from '../../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../../testing/test-hub/test-hub-server'

const TOKEN = 'hf_TestTokenThatMustNeverLeak0123456789'
const PUBLIC = 'stepwise/tiny-sd'
const GATED = 'stepwise/gated-sd'
const BIG = 'unet/model.onnx_data'

let hub: TestHub
let tmp: string
let n = 0

beforeAll(async () => {
  hub = await startTestHub({
    repos: [
      { repo: PUBLIC, dir: fixtureModel('tiny-sd-fp16') },
      { repo: GATED, dir: fixtureModel('tiny-sd-fp16'), token: TOKEN }
    ]
  })
  tmp = await makeTempDir()
})

afterAll(async () => {
  await hub.close()
  await removeTempDir(tmp)
})

beforeEach(() => {
  hub.clearFaults()
})

/** Runs a download into a fresh folder, collecting everything it says. */
async function attempt(options: Partial<DownloadModelOptions> & { repo: string }): Promise<{
  error: unknown
  dest: string
  log: EventLog
  lines: string[]
}> {
  const dest = path.join(tmp, `run-${++n}`)
  const log = new EventLog()
  const lines: string[] = []
  let error: unknown = null
  try {
    await downloadModel({
      dest,
      endpoint: hub.endpoint,
      retry: FAST_RETRY,
      progressIntervalMs: 0,
      onEvent: log.push,
      log: (line) => lines.push(line),
      ...options
    })
  } catch (e) {
    error = e
  }
  return { error, dest, log, lines }
}

function expectHubError(error: unknown, code: HubError['code'], message: RegExp): void {
  expect(error).toBeInstanceOf(HubError)
  expect((error as HubError).code).toBe(code)
  expect((error as HubError).message).toMatch(message)
}

/** Every byte a run left behind or said: files in its folder, events, log lines, the error. */
async function everythingSaid(run: Awaited<ReturnType<typeof attempt>>): Promise<string> {
  const parts = [JSON.stringify(run.log.events), run.lines.join('\n')]
  if (run.error instanceof Error) {
    parts.push(run.error.message, run.error.stack ?? '', String(run.error.cause ?? ''))
  }
  for (const rel of await listTree(run.dest)) {
    parts.push(rel, await fs.readFile(path.join(run.dest, rel), 'latin1'))
  }
  return parts.join('\n')
}

describe('download errors', () => {
  it('404: an unknown repository or revision', async () => {
    const repo = await attempt({ repo: 'stepwise/no-such-model' })
    expectHubError(
      repo.error,
      'not-found',
      /^stepwise\/no-such-model@main: repository or revision not found \(a private repository also needs an access token\)$/
    )
    const rev = await attempt({ repo: PUBLIC, revision: 'v9' })
    expectHubError(
      rev.error,
      'not-found',
      /^stepwise\/tiny-sd@v9: repository or revision not found/
    )
    expect((rev.error as HubError).status).toBe(404)
    expect(await listTree(rev.dest)).toEqual([])
  })

  it('401/403: a gated repository without a token, or with the wrong one', async () => {
    const none = await attempt({ repo: GATED })
    expectHubError(
      none.error,
      'unauthorized',
      /^stepwise\/gated-sd@main: this repository needs an access token \(or yours lacks access\); none was given$/
    )
    expect((none.error as HubError).status).toBe(401)
    const wrong = await attempt({ repo: GATED, accessToken: 'hf_wrong' })
    expectHubError(
      wrong.error,
      'unauthorized',
      /^stepwise\/gated-sd@main: this repository needs an access token \(or yours lacks access\)$/
    )
    expect((wrong.error as HubError).status).toBe(403)
  })

  it('sends the token to the hub only, never to the CDN, and never says or writes it', async () => {
    const from = hub.requests.length
    const ok = await attempt({ repo: GATED, accessToken: TOKEN })
    expect(ok.error).toBeNull()
    const requests = hub.requests.slice(from)
    const hubSide = requests.filter((r) => r.server === 'hub')
    const cdnSide = requests.filter((r) => r.server === 'cdn')
    expect(hubSide.length).toBeGreaterThan(0)
    expect(cdnSide.length).toBeGreaterThan(0)
    expect(hubSide.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(cdnSide.every((r) => r.authorization === null)).toBe(true)

    // Failures with the token in hand: a server error that outlasts the retries, a wrong hash.
    hub.inject({ kind: 'status', status: 503, times: Infinity, match: { route: 'cdn' } })
    const failing = await attempt({ repo: GATED, accessToken: TOKEN })
    hub.clearFaults()
    hub.inject({ kind: 'corrupt', match: { path: BIG } })
    const corrupt = await attempt({ repo: GATED, accessToken: TOKEN })
    expect(failing.error).toBeInstanceOf(HubError)
    expect(corrupt.error).toBeInstanceOf(HubError)
    for (const run of [ok, failing, corrupt]) {
      expect(run.lines.length).toBeGreaterThan(0)
      expect(await everythingSaid(run)).not.toContain(TOKEN)
    }
  })

  it('refuses a token with whitespace before sending anything', async () => {
    const from = hub.requests.length
    const run = await attempt({ repo: GATED, accessToken: `${TOKEN}\r\nX-Evil: 1` })
    expectHubError(run.error, 'invalid-argument', /contains whitespace or control characters/)
    expect(hub.requests.length).toBe(from)
    expect((run.error as Error).message).not.toContain(TOKEN)
  })

  it('retries transient 500s on the API and the CDN, then succeeds', async () => {
    hub.inject({ kind: 'status', status: 500, times: 2, match: { route: 'info' } })
    hub.inject({ kind: 'status', status: 502, times: 2, match: { route: 'cdn', path: BIG } })
    const run = await attempt({ repo: PUBLIC })
    expect(run.error).toBeNull()
    const retries = run.log.of('retry')
    expect(retries.filter((r) => r.path === null).map((r) => r.retry)).toEqual([1, 2])
    expect(retries.filter((r) => r.path === BIG).map((r) => r.reason)).toEqual([
      'the server answered 502',
      'the server answered 502'
    ])
    expect((await readDownloadStatus(run.dest)).state).toBe('complete')
  })

  it('gives up with a clear error when 5xx answers outlast the retries', async () => {
    hub.inject({ kind: 'status', status: 500, times: Infinity, match: { route: 'tree' } })
    const listing = await attempt({ repo: PUBLIC })
    expectHubError(
      listing.error,
      'network',
      /^stepwise\/tiny-sd@main: the Hub answered 500 to the file listing request \(gave up after 4 attempts\)$/
    )
    hub.clearFaults()
    hub.inject({ kind: 'status', status: 503, times: Infinity, match: { path: BIG } })
    const file = await attempt({ repo: PUBLIC })
    expectHubError(
      file.error,
      'network',
      /^unet\/model\.onnx_data: the server answered 503 \(gave up after 4 attempts\)$/
    )
    expect(file.log.of('retry').filter((r) => r.path === BIG)).toHaveLength(3)
    expect((await readDownloadStatus(file.dest)).state).toBe('partial')
  })

  it('gives up on a connection that keeps dropping without progress', async () => {
    hub.inject({ kind: 'cut', afterBytes: 0, times: Infinity, match: { path: BIG } })
    const run = await attempt({ repo: PUBLIC })
    expectHubError(
      run.error,
      'network',
      /^unet\/model\.onnx_data: .* \(gave up after 4 attempts\)$/
    )
  })

  it('refuses a file whose hash is wrong: deleted, named, nothing marked usable', async () => {
    hub.inject({ kind: 'corrupt', match: { path: BIG } })
    const run = await attempt({ repo: PUBLIC })
    const expected = hub.snapshot(PUBLIC).files.find((f) => f.path === BIG)?.sha256 ?? ''
    expectHubError(
      run.error,
      'hash-mismatch',
      new RegExp(
        `^unet/model\\.onnx_data: sha256 mismatch: expected ${expected}, got (?!${expected})[0-9a-f]{64}\\. The file was deleted and the model is not usable`
      )
    )
    const files = await listTree(run.dest)
    expect(files).not.toContain(BIG)
    expect(files).not.toContain(`${BIG}.part`)
    expect(files).not.toContain(COMPLETE_MARKER)
    expect((await readDownloadStatus(run.dest)).state).toBe('partial')

    // The same folder completes once the server sends the right bytes.
    await downloadModel({ repo: PUBLIC, dest: run.dest, endpoint: hub.endpoint })
    expect((await readDownloadStatus(run.dest)).state).toBe('complete')
  })

  it('checks files kept in git against their blob id', async () => {
    hub.inject({ kind: 'corrupt', match: { path: 'unet/config.json' } })
    const run = await attempt({ repo: PUBLIC })
    expectHubError(
      run.error,
      'hash-mismatch',
      /^unet\/config\.json: git blob id mismatch: expected [0-9a-f]{40}, got [0-9a-f]{40}\./
    )
  })

  it('reports a cancel before the start as aborted, and an unwritable destination clearly', async () => {
    const controller = new AbortController()
    controller.abort()
    const cancelled = await attempt({ repo: PUBLIC, signal: controller.signal })
    expectHubError(cancelled.error, 'aborted', /the download was cancelled/)

    const file = path.join(tmp, 'a-file')
    await fs.writeFile(file, 'x')
    const run = await attempt({ repo: PUBLIC, dest: path.join(file, 'model') })
    expectHubError(run.error, 'filesystem', /^cannot write the download: .*a-file/)
  })

  it('rejects bad arguments before any request', async () => {
    const from = hub.requests.length
    for (const [options, message] of [
      [{ repo: 'not a repo' }, /is not a Hub repository id/],
      [{ repo: '../etc' }, /is not a Hub repository id/],
      [{ repo: PUBLIC, revision: '../main' }, /is not a revision/],
      [{ repo: PUBLIC, endpoint: 'ftp://example.com' }, /must be an http or https URL/],
      [
        { repo: PUBLIC, endpoint: 'https://user:pw@example.com' },
        /must not contain a user name or password/
      ],
      [{ repo: PUBLIC, concurrency: 0 }, /concurrency must be an integer from 1 to 16/]
    ] as const) {
      const run = await attempt(options)
      expectHubError(run.error, 'invalid-argument', message)
    }
    expect(hub.requests.length).toBe(from)
  })
})
