import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import { listFiles, modelInfo } from '@huggingface/hub'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadModel } from '../../main/engine'
import { fixtureModel, makeTempDir, REPO_ROOT, removeTempDir } from './hub-test-helpers'
import { gitBlobId, lfsPointer } from './repo-snapshot'
import { startTestHub, type TestHub } from './test-hub-server'

const REPO = 'stepwise/tiny-sd'

let hub: TestHub

beforeAll(async () => {
  hub = await startTestHub({
    pageSize: 4,
    repos: [
      { repo: REPO, dir: fixtureModel('tiny-sd-random') },
      { repo: REPO, revision: 'onnx', dir: fixtureModel('tiny-sd-legacy') },
      { repo: 'stepwise/gated', dir: fixtureModel('tiny-sd-fp16'), token: 'hf_gate' }
    ]
  })
})

afterAll(async () => {
  await hub.close()
})

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('the test hub', () => {
  it('answers model info like the Hub, with LFS sha256 in siblings when blobs=true', async () => {
    const snap = hub.snapshot(REPO)
    const res = await fetch(`${hub.endpoint}/api/models/${REPO}/revision/main?blobs=true`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      id: string
      sha: string
      siblings: {
        rfilename: string
        size: number
        blobId: string
        lfs?: { sha256: string; size: number; pointerSize: number }
      }[]
    }
    expect(body.id).toBe(REPO)
    expect(body.sha).toBe(snap.commit)
    const unet = body.siblings.find((s) => s.rfilename === 'unet/model.onnx_data')
    const file = snap.files.find((f) => f.path === 'unet/model.onnx_data')
    expect(unet?.lfs?.sha256).toBe(sha256(file?.content ?? Buffer.alloc(0)))
    expect(unet?.lfs?.pointerSize).toBe(
      Buffer.byteLength(lfsPointer(unet?.lfs?.sha256 ?? '', unet?.size ?? 0))
    )
    const config = body.siblings.find((s) => s.rfilename === 'unet/config.json')
    expect(config?.lfs).toBeUndefined()
    expect(config?.blobId).toBe(
      gitBlobId(snap.files.find((f) => f.path === 'unet/config.json')?.content ?? Buffer.alloc(0))
    )
  })

  it('serves @huggingface/hub: modelInfo with sha, paginated recursive listFiles with lfs ids', async () => {
    const info = await modelInfo({
      name: REPO,
      revision: 'onnx',
      hubUrl: hub.endpoint,
      additionalFields: ['sha']
    })
    expect(info.sha).toBe(hub.snapshot(REPO, 'onnx').commit)
    const from = hub.requests.length
    const entries = []
    for await (const e of listFiles({
      repo: REPO,
      revision: info.sha,
      recursive: true,
      hubUrl: hub.endpoint
    })) {
      entries.push(e)
    }
    expect(hub.requests.slice(from).filter((r) => r.route === 'tree').length).toBeGreaterThan(2)
    const files = entries.filter((e) => e.type === 'file')
    expect(files.map((f) => f.path).sort()).toEqual(
      hub
        .snapshot(REPO, 'onnx')
        .files.map((f) => f.path)
        .sort()
    )
    expect(entries.some((e) => e.type === 'directory' && e.path === 'unet')).toBe(true)
    const weights = files.find((f) => f.path === 'unet/weights.pb')
    expect(weights?.lfs?.oid).toMatch(/^[0-9a-f]{64}$/)
    expect(weights?.lfs?.size).toBe(weights?.size)
  })

  it('resolve serves git files directly and redirects LFS files to a signed CDN URL', async () => {
    const snap = hub.snapshot(REPO)
    const cfg = await fetch(`${hub.endpoint}/${REPO}/resolve/main/unet/config.json`, {
      redirect: 'manual'
    })
    expect(cfg.status).toBe(200)
    expect(cfg.headers.get('x-repo-commit')).toBe(snap.commit)
    expect(cfg.headers.get('accept-ranges')).toBe('bytes')
    await cfg.arrayBuffer()

    const lfs = await fetch(`${hub.endpoint}/${REPO}/resolve/${snap.commit}/unet/model.onnx`, {
      redirect: 'manual'
    })
    expect(lfs.status).toBe(302)
    const location = lfs.headers.get('location') ?? ''
    expect(location.startsWith(`${hub.cdnOrigin}/repos/`)).toBe(true)
    const file = snap.files.find((f) => f.path === 'unet/model.onnx')
    expect(lfs.headers.get('x-linked-etag')).toBe(`"${file?.sha256}"`)
    expect(lfs.headers.get('x-linked-size')).toBe(String(file?.size))
    await lfs.arrayBuffer()

    const ranged = await fetch(location, { headers: { range: 'bytes=100-199' } })
    expect(ranged.status).toBe(206)
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${file?.size}`)
    expect(
      Buffer.from(await ranged.arrayBuffer()).equals(
        file?.content.subarray(100, 200) ?? Buffer.alloc(0)
      )
    ).toBe(true)

    const beyond = await fetch(location, { headers: { range: `bytes=${file?.size}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${file?.size}`)
    await beyond.arrayBuffer()

    const unsigned = await fetch(location.replace(/sig=[0-9a-f]+/, 'sig=0'))
    expect(unsigned.status).toBe(403)
    await unsigned.arrayBuffer()
  })

  it('answers 404 with the Hub error codes and gates with 401/403', async () => {
    const cases: [string, number, string | null][] = [
      [`/api/models/stepwise/none/revision/main`, 404, 'RepoNotFound'],
      [`/api/models/${REPO}/revision/nope`, 404, 'RevisionNotFound'],
      [`/${REPO}/resolve/main/nope.json`, 404, 'EntryNotFound'],
      [`/api/models/stepwise/gated/revision/main`, 401, 'GatedRepo']
    ]
    for (const [url, status, code] of cases) {
      const res = await fetch(hub.endpoint + url)
      expect([url, res.status, res.headers.get('x-error-code')]).toEqual([url, status, code])
      await res.arrayBuffer()
    }
    const wrong = await fetch(`${hub.endpoint}/api/models/stepwise/gated/revision/main`, {
      headers: { authorization: 'Bearer hf_nope' }
    })
    expect(wrong.status).toBe(403)
    await wrong.arrayBuffer()
    const right = await fetch(`${hub.endpoint}/api/models/stepwise/gated/revision/main`, {
      headers: { authorization: 'Bearer hf_gate' }
    })
    expect(right.status).toBe(200)
    await right.arrayBuffer()
  })

  it('injects a status the given number of times', async () => {
    hub.inject({ kind: 'status', status: 500, times: 2, match: { route: 'info' } })
    const statuses = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${hub.endpoint}/api/models/${REPO}/revision/main`)
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    expect(statuses).toEqual([500, 500, 200])
  })

  it('cuts a transfer after exactly K bytes', async () => {
    hub.inject({ kind: 'cut', afterBytes: 1234, match: { path: 'tokenizer/tokenizer.json' } })
    // node:http rather than fetch: its 'data' events hand over every byte that arrived.
    const { received, length, complete } = await new Promise<{
      received: number
      length: number
      complete: boolean
    }>((resolve, reject) => {
      http
        .get(`${hub.endpoint}/${REPO}/resolve/main/tokenizer/tokenizer.json`, (res) => {
          let n = 0
          res.on('data', (d: Buffer) => (n += d.length))
          res.on('close', () =>
            resolve({
              received: n,
              length: Number(res.headers['content-length']),
              complete: res.complete
            })
          )
        })
        .on('error', reject)
    })
    expect(received).toBe(1234)
    expect(length).toBeGreaterThan(1234)
    expect(complete).toBe(false)
  })
})

describe('serve.ts', () => {
  it('runs the test hub as a process that prints its endpoint and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs'),
        path.join(__dirname, 'serve.ts'),
        '--repo',
        `stepwise/tiny@onnx=${fixtureModel('tiny-sd-legacy')}`,
        '--fault',
        '{"kind":"status","status":500,"match":{"route":"info"}}'
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const tmp = await makeTempDir()
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '')
        })
        child.once('exit', () => reject(new Error('serve.ts exited before listening')))
      })
      const { endpoint, cdn } = JSON.parse(line) as { endpoint: string; cdn: string }
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(cdn).not.toBe(endpoint)
      const retries: string[] = []
      const result = await downloadModel({
        repo: 'stepwise/tiny',
        revision: 'onnx',
        dest: path.join(tmp, 'm'),
        endpoint,
        retry: { retries: 2, minDelayMs: 5 },
        onEvent: (e) => {
          if (e.type === 'retry') retries.push(e.reason)
        }
      })
      expect(result.files.some((f) => f.path === 'unet/weights.pb')).toBe(true)
      expect(retries).toEqual([expect.stringMatching(/answered 500 to the model info request/)])
    } finally {
      child.kill('SIGTERM')
      await removeTempDir(tmp)
    }
    expect(await exited).toBe(0)
  })
})
