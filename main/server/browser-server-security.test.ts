import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { openStepwiseApi } from '../api/create-api'
import type { MainApi } from '../api/create-api'
import { InferenceClient } from '../inference/client/inference-client'
import { sampleResult } from '../../testing/history/sample-result'
import { startBrowserServer } from './browser-server'
import type { BrowserServer } from './browser-server'

/**
 * The browser-mode server as a malicious web page or local program meets it, over real HTTP and
 * WebSocket connections: loopback only, the token, a loopback Host and Origin of its own port,
 * and files from the renderer bundle only (history reaches the page through the API by id,
 * never as a file path). Traversal attempts are sent byte for byte as written.
 */

const SECRET = 'secret-beside-the-bundle'
let root: string
let server: BrowserServer
let api: MainApi

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'stepwise-server-sec-'))
  const renderer = join(root, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Stepwise</title>')
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(root, 'secret.txt'), SECRET)
  api = await openStepwiseApi({
    appVersion: '0.0.0-test',
    mode: 'browser',
    dataDir: join(root, 'data'),
    modelDirs: [],
    inference: new InferenceClient(),
    log: () => undefined
  })
  await api.history.add(sampleResult('a stored image'))
  await api.history.flush()
  server = await startBrowserServer({ api, events: api.events, rendererDir: renderer, port: 0 })
})

afterAll(async () => {
  await server.close()
  await api.close()
})

interface Reply {
  status: number
  body: string
}

/** A GET (or another method) with the path and Host exactly as given. */
function get(path: string, options: { host?: string; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? `127.0.0.1:${server.port}` }
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on('error', reject)
    req.end()
  })
}

/** Opens the RPC socket with the given parts; resolves 'open' or the HTTP status refused with. */
function socket(options: { token?: string | null; origin?: string | null; host?: string }) {
  const token = options.token === undefined ? server.token : options.token
  const query = token === null ? '' : `?token=${token}`
  return new Promise<'open' | number>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc${query}`, {
      ...(options.origin === null
        ? {}
        : { origin: options.origin ?? `http://127.0.0.1:${server.port}` }),
      ...(options.host === undefined ? {} : { headers: { Host: options.host } })
    })
    ws.once('open', () => {
      ws.close()
      resolve('open')
    })
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

describe('browser-mode server, from the outside', () => {
  it('listens on the loopback address only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1')
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    if (external === undefined) return // no other interface on this machine
    const outcome = await new Promise<string>((resolve) => {
      const conn = connect(server.port, external.address)
      conn.once('connect', () => {
        conn.destroy()
        resolve('connected')
      })
      conn.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    })
    expect(outcome).toBe('ECONNREFUSED')
  })

  it('serves the page only with the token', async () => {
    expect((await get(`/?token=${server.token}`)).status).toBe(200)
    expect((await get(`/index.html?token=${server.token}`)).status).toBe(200)
    expect((await get('/')).status).toBe(403)
    expect((await get('/?token=')).status).toBe(403)
    expect((await get(`/?token=${server.token}x`)).status).toBe(403)
  })

  it('refuses a foreign Host (DNS rebinding) on every request', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      `localhost.evil.example:${server.port}`
    ]) {
      expect((await get(`/?token=${server.token}`, { host })).status, host).toBe(421)
      expect((await get('/assets/app.js', { host })).status, host).toBe(421)
    }
    expect((await get('/assets/app.js', { host: `localhost:${server.port}` })).status).toBe(200)
  })

  it('serves only files inside the renderer bundle, whatever the path spelling', async () => {
    expect(await get('/assets/app.js')).toEqual({ status: 200, body: 'console.log(1)' })
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '//secret.txt',
      `/${root}/secret.txt`,
      `/%2F${encodeURIComponent(root.slice(1))}%2Fsecret.txt`,
      '/secret.txt%00.js',
      '/%',
      '/data/history/index.json',
      '/../data/history/index.json',
      '/..%2fdata%2fhistory%2findex.json',
      '/history/index.json',
      '/assets'
    ]) {
      const reply = await get(path)
      expect(reply.status, path).not.toBe(200)
      expect(reply.body, path).not.toContain(SECRET)
      expect(reply.body, path).not.toContain('"entries"')
    }
  })

  it('accepts only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect((await get('/assets/app.js', { method })).status, method).toBe(405)
    }
  })

  it('opens the RPC socket only with the token, its own loopback Origin and Host', async () => {
    expect(await socket({})).toBe('open')
    expect(await socket({ origin: `http://localhost:${server.port}` })).toBe('open')
    expect(await socket({ token: null })).toBe(403)
    expect(await socket({ token: 'guess' })).toBe(403)
    expect(await socket({ origin: null })).toBe(403)
    expect(await socket({ origin: 'https://evil.example' })).toBe(403)
    expect(await socket({ origin: `http://127.0.0.1:${server.port + 1}` })).toBe(403)
    expect(await socket({ origin: 'null' })).toBe(403)
    expect(await socket({ host: `evil.example:${server.port}` })).toBe(403)
  })
})
