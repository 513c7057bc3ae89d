import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createStepwiseApi } from '../api/create-api'
import { startBrowserServer } from './browser-server'
import type { BrowserServer } from './browser-server'

let server: BrowserServer

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-server-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  server = await startBrowserServer({
    api: createStepwiseApi({ appVersion: '1.2.3', mode: 'browser' }),
    rendererDir: dir,
    port: 0
  })
})

afterAll(() => server.close())

function connect(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function call(
  ws: WebSocket,
  message: unknown
): Promise<{ id: number | null; envelope: { ok: boolean } }> {
  return new Promise((resolve) => {
    ws.once('message', (data: WebSocket.RawData) =>
      resolve(JSON.parse(data.toString()) as { id: number | null; envelope: { ok: boolean } })
    )
    ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  })
}

describe('browser-mode server', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
  })

  it('serves the page with the token and refuses it without', async () => {
    expect((await fetch(server.url)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(403)
    expect((await fetch(`http://127.0.0.1:${server.port}/?token=wrong`)).status).toBe(403)
  })

  it('refuses sockets without the token or from a foreign origin', async () => {
    const rpc = `ws://127.0.0.1:${server.port}/rpc`
    const origin = `http://127.0.0.1:${server.port}`
    await expect(connect(`${rpc}?token=wrong`, origin)).rejects.toThrow('HTTP 403')
    await expect(connect(`${rpc}?token=${server.token}`, 'https://evil.example')).rejects.toThrow(
      'HTTP 403'
    )
  })

  it('answers contract calls and rejects malformed ones', async () => {
    const ws = await connect(
      `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`,
      `http://localhost:${server.port}`
    )
    const ok = await call(ws, { id: 1, op: 'getCapabilities', args: [] })
    expect(ok.id).toBe(1)
    expect(ok.envelope).toMatchObject({ ok: true, value: { appVersion: '1.2.3', mode: 'browser' } })
    const bad = await call(ws, 'not json')
    expect(bad).toMatchObject({ id: null, envelope: { ok: false } })
    const invalid = await call(ws, { id: 2, op: 'getCapabilities', args: [1] })
    expect(invalid.envelope).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
    ws.close()
  })
})
