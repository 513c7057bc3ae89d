import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { OperationName } from '../../shared/channels'
import type { StepwiseEvent } from '../../shared/contract'
import type { Envelope } from '../../shared/errors'
import { decodeMessage, encodeMessage } from '../../shared/wire-codec'
import type { ServerMessage } from '../../shared/ws-protocol'
import { makeBrokenModels } from '../../testing/broken-models'
import type { BrokenModel } from '../../testing/broken-models'
import { InferenceClient } from '../inference/client/inference-client'
import { handleIpcCall } from '../ipc/ipc-call'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { jobEventFilters, until } from '../../testing/job-events'
import { startBrowserServer } from '../server/browser-server'
import type { BrowserServer } from '../server/browser-server'
import { openStepwiseApi } from './create-api'
import type { MainApi } from './create-api'

/**
 * Bad input through the app's two untrusted doors, for real: the IPC handler (sender check,
 * then the contract's schemas) and the browser-mode WebSocket (a real server and socket), both
 * in front of one real API with a real inference process. Every refusal must name what is wrong
 * and what is allowed, and change nothing: no job, no event, no history entry, and the model the
 * inference process has loaded stays loaded. (The CLI door is main/cli/bad-input.test.ts, the
 * library door main/engine/pipelines/bad-input.test.ts.)
 */

const APP_URL = 'file:///app/out/renderer/index.html'
const appFrame = { url: APP_URL, parent: null }

let api: MainApi
let inference: InferenceClient
/** The inference process's own phases: 'loading' only when it has to create sessions. */
const inferencePhases: Array<{ jobId: string; phase: string }> = []
let server: BrowserServer
let socket: WebSocket
let broken: BrokenModel[]
const events: StepwiseEvent[] = []
const socketEvents: StepwiseEvent[] = []
const waiting = new Map<number, (envelope: Envelope<unknown>) => void>()
let nextId = 1

beforeAll(async () => {
  const models = fixtureModelsDir()
  broken = await makeBrokenModels(models)
  const rendererDir = mkdtempSync(join(tmpdir(), 'stepwise-doors-renderer-'))
  api = await openStepwiseApi({
    appVersion: '0.0.0-test',
    mode: 'browser',
    dataDir: mkdtempSync(join(tmpdir(), 'stepwise-doors-')),
    modelDirs: [models],
    inference: (inference = new InferenceClient()),
    log: () => undefined,
    // Under the low-memory mode's estimate of a 2048² run on the tiny model (about 222 MiB), so
    // that size is still refused, and far above what the runs here need.
    memoryLimitBytes: 200 * 2 ** 20
  })
  inference.on('state', (e) => inferencePhases.push({ jobId: e.jobId, phase: e.phase }))
  api.onEvent((e) => events.push(e))
  server = await startBrowserServer({ api, events: api.events, rendererDir, port: 0 })
  socket = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`, {
    origin: `http://127.0.0.1:${server.port}`
  })
  socket.on('message', (data: Buffer) => {
    const message = decodeMessage(data) as ServerMessage
    if (message.type === 'event') socketEvents.push(message.event)
    else if (message.id !== null) waiting.get(message.id)?.(message.envelope)
  })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
}, 120_000)

afterAll(async () => {
  socket.close()
  await server.close()
  await api.close()
})

function overIpc(op: OperationName, args: unknown[]): Promise<Envelope<unknown>> {
  return handleIpcCall(api, (url) => url === APP_URL, op, appFrame, args)
}

function overSocket(op: OperationName, args: unknown[]): Promise<Envelope<unknown>> {
  const id = nextId++
  return new Promise((resolve) => {
    waiting.set(id, resolve)
    socket.send(encodeMessage({ type: 'call', id, op, args }))
  })
}

const { ended } = jobEventFilters(() => events)

/** Runs a job through IPC and waits for its end; returns its events and whether it loaded. */
async function runJob(
  params: Record<string, unknown>
): Promise<{ events: StepwiseEvent[]; loaded: boolean }> {
  const ticket = await overIpc('generate', [params])
  if (!ticket.ok) throw new Error(ticket.error.message)
  const { jobId } = ticket.value as { jobId: string }
  await until(ended(jobId))
  return {
    events: events.filter((e) => 'jobId' in e && e.jobId === jobId),
    loaded: inferencePhases.some((p) => p.jobId === jobId && p.phase === 'loading')
  }
}

/** Events that are about jobs or history (others, e.g. model-library updates, may come any time). */
const stateEvents = (): StepwiseEvent[] =>
  events.filter((e) => e.type.startsWith('job:') || e.type === 'history:changed')

const good = {
  modelId: 'tiny-sd-random',
  prompt: 'a red circle',
  numInferenceSteps: 2,
  scheduler: 'euler',
  provider: 'cpu'
}

/** A generate payload, its problem, and the message both doors must give. */
const BAD_GENERATE: Array<[string, Record<string, unknown>, RegExp]> = [
  ['steps 0', { numInferenceSteps: 0 }, /Steps: must be an integer from 1 to 500 \(got 0\)/],
  ['steps negative', { numInferenceSteps: -3 }, /Steps: .*from 1 to 500 \(got -3\)/],
  ['steps fractional', { numInferenceSteps: 2.5 }, /Steps: .*from 1 to 500 \(got 2\.5\)/],
  ['steps text', { numInferenceSteps: 'ten' }, /Steps: .*from 1 to 500 \(got "ten"\)/],
  ['steps absurd', { numInferenceSteps: 1e9 }, /Steps: .*\(got 1000000000\)/],
  // JSON (the socket's header) has no NaN or Infinity: they arrive as null, still refused.
  [
    'guidance NaN',
    { guidanceScale: NaN },
    /Guidance \(CFG\): must be a finite number from 0 to 50 \(got (NaN|null)\)/
  ],
  ['guidance infinite', { guidanceScale: Infinity }, /Guidance \(CFG\): .*\(got (Infinity|null)\)/],
  ['guidance negative', { guidanceScale: -1 }, /Guidance \(CFG\): .*from 0 to 50 \(got -1\)/],
  [
    'width not a multiple of 8',
    { width: 65 },
    /Width: must be a multiple of 8 from 8 to 2048 \(got 65\)/
  ],
  ['height zero', { height: 0 }, /Height: must be a multiple of 8 from 8 to 2048 \(got 0\)/],
  ['width over the maximum', { width: 4096 }, /Width: .*from 8 to 2048 \(got 4096\)/],
  [
    'a size too large for memory',
    { width: 2048, height: 2048 },
    /^tiny-sd-random: 2048×2048 is too large for memory: a run with 2 UNet rows needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\), over the limit of [\d.]+ GiB/
  ],
  ['seed fractional', { seed: 4.2 }, /Seed: must be an integer from 0 to \d+ \(got 4\.2\)/],
  ['seed negative', { seed: -1 }, /Seed: must be an integer .*\(got -1\)/],
  ['seed text', { seed: '42' }, /Seed: must be an integer .*\(got "42"\)/],
  [
    'cutoff ratio above 1',
    { cfgCutoff: { ratio: 1.5 } },
    /CFG cutoff: must be a finite number from 0 to 1 \(got 1\.5\)/
  ],
  ['cutoff ratio below 0', { cfgCutoff: { ratio: -0.1 } }, /CFG cutoff: .*\(got -0\.1\)/],
  [
    'both cutoff ratio and index',
    { cfgCutoff: { ratio: 0.4, stepIndex: 2 } },
    /CFG cutoff: must give exactly one of a ratio/
  ],
  [
    'a cutoff index past the end',
    { numInferenceSteps: 6, cfgCutoff: { stepIndex: 6 } },
    /^tiny-sd-random: CFG cutoff step index: must be below the number of steps \(6\), got 6$/
  ],
  [
    'a stop index past the end of a PNDM run (T = N + 1)',
    { scheduler: 'pndm', numInferenceSteps: 4, stopAtStep: 5 },
    /Stop at step: must be below the number of timesteps \(PNDMScheduler runs 5 for 4 steps\), got 5/
  ],
  [
    'an unknown scheduler',
    { scheduler: 'magic' },
    /Scheduler: unknown scheduler "magic" \(allowed: DPMSolverMultistepScheduler, /
  ],
  [
    'an unknown provider',
    { provider: 'tpu' },
    /Execution provider: unknown provider "tpu" \(allowed: auto, cpu, cuda, dml, coreml, webgpu\)/
  ],
  [
    'an unknown model',
    { modelId: 'no-such-model' },
    /Model: unknown model "no-such-model" \(available: /
  ],
  ['a prompt that is not text', { prompt: 42 }, /Prompt: must be text/],
  [
    'a prompt over 20000 characters',
    { prompt: 'y'.repeat(30_000) },
    /Prompt: must be at most 20000 characters/
  ],
  [
    'a guidance interval whose start is not below its end',
    { cfgInterval: { startRatio: 0.8, endRatio: 0.2 } },
    /Guidance range: the start must be below the end \(got 0\.8 and 0\.2\)/
  ],
  [
    'a guidance interval outside [0, 1]',
    { cfgInterval: { startRatio: 0.2, endRatio: 1.5 } },
    /Guidance range end: must be a finite number from 0 to 1/
  ],
  [
    'a run to continue named both ways',
    { resumeFrom: { historyId: 'h1', jobId: 'j1', step: 3 } },
    /resumeFrom: give either historyId or jobId/
  ],
  [
    'a history entry to continue that does not exist',
    { resumeFrom: { historyId: 'nope', step: 3 } },
    /no history entry "nope"/
  ],
  ['an extra field', { evil: true }, /evil/],
  ['a wrongly typed flag', { keepPreviews: 'yes' }, /Keep previews: must be true or false/]
]

/** Other operations' bad payloads, including history paths outside the history folder. */
const BAD_OTHER: Array<[OperationName, unknown[], RegExp]> = [
  ['generate', [{}], /Prompt: must be text/],
  ['historyGet', ['../../etc/passwd'], /must be an id of 1–64 letters, digits/],
  ['historyImage', [{ id: '..%2F..%2Fetc' }], /must be an id of 1–64/],
  ['historyImage', [{ id: 'h1', path: '/etc/passwd' }], /path/],
  ['historyDelete', ['/home/user/.ssh'], /must be an id of 1–64/],
  ['stop', [42], /must be an id string/],
  [
    'setCfgCutoff',
    ['job-1', { ratio: 2 }],
    /^Cannot move the CFG cutoff: CFG cutoff: must be a finite number from 0 to 1/
  ],
  [
    'setCfgInterval',
    ['job-1', { startStepIndex: 9, endStepIndex: 3 }],
    /^Cannot move the guidance range: Guidance range: the start must be below the end \(got 9 and 3\)/
  ],
  [
    'setGuidanceScale',
    ['job-1', 1],
    /^Cannot change the guidance scale: Guidance scale: must be a guidance scale above 1 and at most 50/
  ],
  ['listJobs', ['extra'], /expected 0 arguments, got 1/]
]

describe('bad input through IPC and the WebSocket', () => {
  it('warms up: a good job loads the model', async () => {
    const own = await runJob(good)
    expect(own.loaded).toBe(true)
    expect(own.events.at(-1)).toMatchObject({ type: 'job:state', state: 'done' })
  })

  it.each(BAD_GENERATE)(
    'refuses %s on both doors, naming it, changing nothing',
    async (_, extra, message) => {
      const before = stateEvents().length
      const history = (await api.historyList()).entries.length
      const params = { ...good, ...extra }
      for (const door of [overIpc, overSocket]) {
        const reply = await door('generate', [params])
        expect(reply.ok).toBe(false)
        if (reply.ok) continue
        expect(reply.error.code).toBe('invalid-argument')
        expect(reply.error.message).toMatch(message)
      }
      expect(stateEvents().length).toBe(before)
      expect(await api.listJobs()).toEqual([])
      expect((await api.historyList()).entries).toHaveLength(history)
    }
  )

  it.each(BAD_OTHER)('refuses %s(%j) on both doors', async (op, args, message) => {
    const before = stateEvents().length
    for (const door of [overIpc, overSocket]) {
      const reply = await door(op, args)
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-argument' } })
      if (!reply.ok) expect(reply.error.message).toMatch(message)
    }
    expect(stateEvents().length).toBe(before)
  })

  it('refuses a payload megabytes long over IPC before parsing it; the socket closes instead', async () => {
    const huge = { ...good, prompt: 'x'.repeat(3 * 1024 * 1024) }
    expect(await overIpc('generate', [huge])).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', message: expect.stringMatching(/larger than 256 KiB/) }
    })
    // ws refuses frames over its maxPayload by closing with 1009 (tested in browser-server.test).
  })

  it('refuses IPC from frames that are not the app’s top-level page, before anything runs', async () => {
    const trusted = (url: string): boolean => url === APP_URL
    const before = stateEvents().length
    for (const frame of [
      null,
      { url: 'https://evil.example/', parent: null },
      { url: APP_URL, parent: { url: APP_URL } }
    ]) {
      expect(await handleIpcCall(api, trusted, 'generate', frame, [good])).toEqual({
        ok: false,
        error: { code: 'forbidden', message: 'IPC refused: the sender is not a Stepwise window' }
      })
    }
    expect(stateEvents().length).toBe(before)
    expect(await api.listJobs()).toEqual([])
  })

  it('warns briefly of an over-long prompt, and the warning reaches the page’s event stream', async () => {
    // 81 × "red" and the start and end tokens (a rarer word may split into several tokens).
    const { events: own } = await runJob({ ...good, prompt: 'red '.repeat(81).trim() })
    const warning = 'The prompt is 83 tokens long; the model reads 77, so the last 6 are ignored.'
    expect(own.find((e) => e.type === 'job:warning')).toMatchObject({ message: warning })
    await until(() => socketEvents.some((e) => e.type === 'job:warning'))
    expect(socketEvents.find((e) => e.type === 'job:warning')).toMatchObject({ message: warning })
    expect(own.at(-1)).toMatchObject({ type: 'job:state', state: 'done' })
  })

  it('kept the loaded model through all of the above: the next job does not load again', async () => {
    const own = await runJob(good)
    expect(own.loaded).toBe(false)
    expect(own.events.at(-1)).toMatchObject({ type: 'job:state', state: 'done' })
  })

  it('refuses or fails each broken model folder with its specific reason; queue and history go on', async () => {
    const history = (await api.historyList()).entries.length
    const listing = await api.modelLibrary()
    for (const model of broken) {
      const reply = await overIpc('generate', [{ ...good, modelId: model.name }])
      if (!reply.ok) {
        // Left out of the listing (found by reading the folder): the id is unknown, and the
        // listing's problems say why.
        expect(reply.error.code, model.what).toBe('invalid-argument')
        expect(reply.error.message, model.what).toMatch(new RegExp(`"${model.name}"`))
        const problem = listing.problems.find((p) => p.path.endsWith(`/${model.name}`))
        expect(problem?.message, model.what).toMatch(model.error)
        continue
      }
      // Only onnxruntime can tell (a session is needed): the job fails with the reason.
      const { jobId } = reply.value as { jobId: string }
      await until(ended(jobId))
      const end = events.find(
        (e) => e.type === 'job:state' && e.jobId === jobId && e.state === 'failed'
      )
      expect(end, model.what).toMatchObject({ message: model.error })
    }
    expect((await api.historyList()).entries).toHaveLength(history)
    const after = await runJob(good)
    expect(after.events.at(-1)).toMatchObject({ type: 'job:state', state: 'done' })
  })
})
