import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { JobStepEvent, JobTicket, StepwiseEvent } from '../../shared/contract'
import { decodeMessage, encodeMessage } from '../../shared/wire-codec'
import type { ServerMessage } from '../../shared/ws-protocol'
import { InferenceClient } from '../inference/client/inference-client'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { openStepwiseApi } from '../api/create-api'
import type { MainApi } from '../api/create-api'
import { MAX_MESSAGE_BYTES, startBrowserServer } from './browser-server'
import type { BrowserServer } from './browser-server'

let server: BrowserServer
let api: MainApi

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-server-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  api = await openStepwiseApi({
    appVersion: '1.2.3',
    mode: 'browser',
    dataDir: mkdtempSync(join(tmpdir(), 'stepwise-server-data-')),
    modelDirs: [fixtureModelsDir()],
    inference: new InferenceClient()
  })
  server = await startBrowserServer({ api, events: api.events, rendererDir: dir, port: 0 })
})

afterAll(async () => {
  await server.close()
  await api.close()
})

/** A page-like client: decodes every frame, keeps replies and events apart. */
interface TestClient {
  ws: WebSocket
  events: StepwiseEvent[]
  replies: Map<number | null, ServerMessage>
  call(op: string, args: unknown[]): Promise<ServerMessage>
  raw(frame: string | Uint8Array): Promise<ServerMessage>
}

function connect(url: string, origin: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin })
    const events: StepwiseEvent[] = []
    const replies = new Map<number | null, ServerMessage>()
    const waiters = new Map<number | null, (m: ServerMessage) => void>()
    let nextId = 1
    ws.on('message', (data: Buffer, isBinary) => {
      expect(isBinary).toBe(true)
      const message = decodeMessage(data) as ServerMessage
      if (message.type === 'event') {
        events.push(message.event)
        return
      }
      replies.set(message.id, message)
      waiters.get(message.id)?.(message)
      waiters.delete(message.id)
    })
    const raw = (frame: string | Uint8Array, id: number | null = null): Promise<ServerMessage> =>
      new Promise((done) => {
        waiters.set(id, done)
        ws.send(frame)
      })
    const client: TestClient = {
      ws,
      events,
      replies,
      call: (op, args) => {
        const id = nextId++
        return raw(encodeMessage({ type: 'call', id, op, args }), id)
      },
      raw: (frame) => raw(frame)
    }
    ws.once('open', () => resolve(client))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

const rpcUrl = (): string => `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`
const origin = (): string => `http://127.0.0.1:${server.port}`

/** How long a check here may take before its test fails. */
const WAIT_MS = 20_000

function step(index: number, previewBytes: number): JobStepEvent {
  return {
    type: 'job:step',
    jobId: 'j1',
    index,
    timestep: 1000 - index,
    total: 1000,
    ms: 5,
    unetMs: 4,
    unetBatch: 2,
    cfg: true,
    guidanceScale: 7.5,
    endedAt: 1_700_000_000_000.5,
    preview: { width: previewBytes / 4, height: 1, rgba: new Uint8Array(previewBytes).fill(index) }
  }
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
    await expect(connect(`${rpc}?token=wrong`, origin())).rejects.toThrow('HTTP 403')
    await expect(connect(rpcUrl(), 'https://evil.example')).rejects.toThrow('HTTP 403')
  })

  it('answers binary contract calls and rejects malformed ones', async () => {
    const client = await connect(rpcUrl(), `http://localhost:${server.port}`)
    const ok = await client.call('getCapabilities', [])
    expect(ok).toMatchObject({
      type: 'reply',
      id: 1,
      envelope: { ok: true, value: { appVersion: '1.2.3', mode: 'browser' } }
    })
    const invalid = await client.call('getCapabilities', [1])
    expect(invalid).toMatchObject({ envelope: { ok: false, error: { code: 'invalid-argument' } } })
    const unknown = await client.call('rm -rf', [])
    expect(unknown).toMatchObject({ envelope: { ok: false, error: { code: 'unknown-operation' } } })
    expect(await client.raw('not json')).toMatchObject({
      id: null,
      envelope: { ok: false, error: { code: 'invalid-argument', message: /not JSON/ } }
    })
    expect(await client.raw(Uint8Array.of(1, 2))).toMatchObject({
      id: null,
      envelope: { ok: false, error: { message: /shorter than its 4-byte header/ } }
    })
    expect(
      await client.raw(encodeMessage({ type: 'call', op: 'listJobs', args: [] }))
    ).toMatchObject({
      id: null,
      envelope: { ok: false, error: { message: /expected \{type: "call"/ } }
    })
    // Text frames are plain JSON, handy from a browser console.
    const text = await new Promise<ServerMessage>((resolve) => {
      client.ws.once('message', (data: Buffer) => resolve(decodeMessage(data) as ServerMessage))
      client.ws.send(JSON.stringify({ type: 'call', id: 77, op: 'getCapabilities', args: [] }))
    })
    expect(text).toMatchObject({ type: 'reply', id: 77, envelope: { ok: true } })
    client.ws.close()
  })

  it('closes connections that send more than the payload limit', async () => {
    const client = await connect(rpcUrl(), origin())
    const closed = new Promise<number>((resolve) => client.ws.once('close', resolve))
    // The socket's limit is an input picture's (putInputImage); dispatch bounds each operation.
    client.ws.send(new Uint8Array(MAX_MESSAGE_BYTES + 1024))
    expect(await closed).toBe(1009)
  })

  it('streams events to every connected page, with binary previews', async () => {
    const a = await connect(rpcUrl(), origin())
    const b = await connect(rpcUrl(), origin())
    api.events.emit({ type: 'history:changed' })
    api.events.emit(step(0, 64))
    await until(() => a.events.length === 2 && b.events.length === 2, WAIT_MS)
    const [, first] = a.events
    expect(first?.type).toBe('job:step')
    const preview = (first as JobStepEvent).preview
    expect(preview?.rgba).toBeInstanceOf(Uint8Array)
    expect(preview?.rgba).toEqual(new Uint8Array(64).fill(0))
    a.ws.close()
    b.ws.close()
    await until(() => api.events.size === 0, WAIT_MS)
  })

  it('delivers step metadata always but previews latest-wins to a slow page', async () => {
    const slow = await connect(rpcUrl(), origin())
    // Stop reading: the kernel buffers fill and the server's bufferedAmount grows.
    slow.ws.pause()
    const count = 200
    const bytes = 256 * 1024
    for (let i = 0; i < count; i++) api.events.emit(step(i, bytes))
    slow.ws.resume()
    await until(() => slow.events.length === count, WAIT_MS)
    await until(() => {
      const last = slow.events[count - 1] as JobStepEvent
      return last.preview !== null
    }, WAIT_MS)
    const steps = slow.events as JobStepEvent[]
    expect(steps.map((e) => e.index)).toEqual([...Array(count).keys()])
    const withPixels = steps.filter((e) => e.preview !== null)
    // 50 MiB of previews were offered in one go to a page that read nothing, more than any
    // socket buffer holds: previews that could not leave were superseded instead of queueing
    // (how many depends on the buffers, not judged here); the newest always arrives, and no
    // older preview arrives after a newer one.
    expect(withPixels.length).toBeLessThan(count)
    expect(withPixels.at(-1)?.index).toBe(count - 1)
    const indices = withPixels.map((e) => e.index)
    expect(indices).toEqual([...indices].sort((x, y) => x - y))
    expect(withPixels.at(-1)?.preview?.rgba[0]).toBe((count - 1) % 256)
    slow.ws.close()
  })

  it('runs a real generation: ticket, live steps with binary previews, result, history PNG', async () => {
    const client = await connect(rpcUrl(), origin())
    const reply = await client.call('generate', [
      { prompt: 'a red circle', numInferenceSteps: 4, seed: 7, provider: 'cpu', scheduler: 'ddim' }
    ])
    if (reply.type !== 'reply' || !reply.envelope.ok) throw new Error(JSON.stringify(reply))
    const ticket = reply.envelope.value as JobTicket
    expect(ticket).toMatchObject({ seed: 7, position: 0 })
    const { statesOf, stepsOf, doneOf } = jobEventFilters(() => client.events)
    await until(() => statesOf(ticket.jobId).includes('done'), WAIT_MS)
    const steps = stepsOf(ticket.jobId)
    expect(steps.map((s) => s.index)).toEqual([0, 1, 2, 3])
    const last = steps.at(-1)?.preview
    expect(last?.rgba).toBeInstanceOf(Uint8Array)
    expect(last?.rgba.length).toBe((last?.width ?? 0) * (last?.height ?? 0) * 4)
    const done = doneOf(ticket.jobId)
    expect(done?.image.rgba).toBeInstanceOf(Uint8Array)
    expect(done?.image.rgba.length).toBe(64 * 64 * 4)
    expect(done?.result).toMatchObject({ seed: 7, scheduler: 'DDIMScheduler', stepsRun: 4 })
    const states = statesOf(ticket.jobId)
    expect(states.filter((s, i) => s !== states[i - 1]).at(-1)).toBe('done')

    const png = await client.call('historyImage', [{ id: done?.historyId }])
    if (png.type !== 'reply' || !png.envelope.ok) throw new Error(JSON.stringify(png))
    const bytes = png.envelope.value as Uint8Array
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    const missing = await client.call('stop', ['job-unknown'])
    expect(missing).toMatchObject({
      envelope: { ok: false, error: { code: 'not-found', message: 'no job "job-unknown"' } }
    })
    client.ws.close()
  }, 120_000)
})
