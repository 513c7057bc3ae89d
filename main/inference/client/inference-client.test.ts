import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { InferenceEventOf } from './inference-client'
import { generationRequest } from '../../../testing/generation-requests'
import { InferenceClient, InferenceJobError } from './inference-client'
import type { GenerationRequest, InferenceStep, InferenceEvent } from '../protocol'

// Real inference processes running real onnxruntime sessions on the fixture models.
const sdModel = resolve(__dirname, '../../../fixtures/models/tiny-sd-random')
const sdxlModel = resolve(__dirname, '../../../fixtures/models/tiny-sdxl-random')
const harness = resolve(__dirname, '../../../testing/inference-exit-harness.ts')

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return generationRequest(
    {
      modelDir: sdModel,
      prompt: 'a red circle on a blue background',
      numInferenceSteps: 6,
      guidanceScale: 7,
      width: 64,
      height: 64,
      seed: 42
    },
    overrides
  )
}

/** Collects every event of one job. */
function record(client: InferenceClient, jobId: string): InferenceEvent[] {
  const events: InferenceEvent[] = []
  client.onAny((e) => {
    if (e.jobId === jobId) events.push(e)
  })
  return events
}

function stepsOf(events: InferenceEvent[]): InferenceStep[] {
  return events.filter((e): e is InferenceEventOf<'step'> => e.type === 'step').map((e) => e.step)
}

const client = new InferenceClient()
afterAll(() => client.terminate())

describe('InferenceClient with the real inference process', () => {
  it('streams phases, one step event per step with its preview, then the image', async () => {
    const events = record(client, 'job-1')
    const result = await client.generate('job-1', request())
    const steps = stepsOf(events)
    expect(result.numTimesteps).toBe(6)
    expect(steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5])
    for (const step of steps) {
      expect(step.total).toBe(6)
      expect(step.unetBatch).toBe(2)
      expect(step.cfg).toBe(true)
      expect(step.ms).toBeGreaterThan(0)
      expect(step.preview).not.toBeNull()
      expect(step.preview?.rgba).toBeInstanceOf(ArrayBuffer)
      expect([step.preview?.width, step.preview?.height]).toEqual([8, 8])
      expect(step.preview?.rgba.byteLength).toBe(8 * 8 * 4)
    }
    const phases = events.filter((e) => e.type === 'state').map((e) => e.phase)
    expect(phases).toEqual(['loading', 'encoding', 'denoising', 'decoding'])
    expect(events.at(-1)?.type).toBe('done')
    // Each component's load, numbered, inside the loading phase.
    const loads = events.flatMap((e) =>
      e.type === 'load-progress'
        ? [`${e.progress.label}:${e.progress.phase} ${e.progress.index}/${e.progress.total}`]
        : []
    )
    expect(loads).toEqual([
      'text encoder:start 1/3',
      'text encoder:done 1/3',
      'UNet:start 2/3',
      'UNet:done 2/3',
      'VAE decoder:start 3/3',
      'VAE decoder:done 3/3'
    ])
    const at = (type: string, phase?: string): number[] =>
      events.flatMap((e, i) =>
        e.type === type && (phase === undefined || (e.type === 'state' && e.phase === phase))
          ? [i]
          : []
      )
    expect(Math.min(...at('load-progress'))).toBeGreaterThan(at('state', 'loading')[0] as number)
    expect(Math.max(...at('load-progress'))).toBeLessThan(at('state', 'encoding')[0] as number)
    expect(result).toMatchObject({
      family: 'sd',
      seed: 42,
      width: 64,
      height: 64,
      scheduler: 'EulerDiscreteScheduler',
      stepsRun: 6,
      interrupted: false,
      provider: 'cpu'
    })
    expect(result.images).toHaveLength(1)
    expect(result.images[0]?.rgba.byteLength).toBe(64 * 64 * 4)
    expect(client.runningJobId).toBeNull()
  })

  it('reuses the loaded pipeline for the next job, and loads again after release', async () => {
    const again = record(client, 'job-2')
    await client.generate('job-2', request({ numInferenceSteps: 2 }))
    expect(again.some((e) => e.type === 'state' && e.phase === 'loading')).toBe(false)
    client.release()
    const reloaded = record(client, 'job-3')
    await client.generate('job-3', request({ numInferenceSteps: 2 }))
    expect(reloaded.some((e) => e.type === 'state' && e.phase === 'loading')).toBe(true)
  })

  it('stop mid-run ends with interrupted: true and still returns the decoded image', async () => {
    const off = client.on('step', (e) => {
      if (e.jobId === 'stop-1' && e.step.index === 2) client.stop('stop-1')
    })
    const events = record(client, 'stop-1')
    const result = await client.generate('stop-1', request({ numInferenceSteps: 30 }))
    off()
    expect(result.interrupted).toBe(true)
    // The stop lands at the next step boundary the inference process reaches after the message arrives.
    expect(result.stepsRun).toBeGreaterThanOrEqual(3)
    expect(result.stepsRun).toBeLessThan(30)
    expect(stepsOf(events)).toHaveLength(result.stepsRun)
    expect(result.images[0]?.rgba.byteLength).toBe(64 * 64 * 4)
    expect(client.stop('stop-1')).toBe(false) // no longer running
  })

  it('moves the CFG cutoff before its step, and refuses once guidance has ended', async () => {
    const reports: Array<InferenceEventOf<'cutoff'>['report']> = []
    const off = client.on('cutoff', (e) => {
      if (e.jobId === 'cut-1') reports.push(e.report)
    })
    let refusedAsked = false
    const offStep = client.on('step', (e) => {
      if (e.jobId !== 'cut-1') return
      if (e.step.index === 0) client.setCfgCutoff('cut-1', { stepIndex: 8 })
      if (!e.step.cfg && !refusedAsked) {
        refusedAsked = true
        client.setCfgCutoff('cut-1', { ratio: 0.9 })
      }
    })
    const events = record(client, 'cut-1')
    const result = await client.generate(
      'cut-1',
      request({ numInferenceSteps: 20, cfgCutoff: { stepIndex: 15 } })
    )
    off()
    offStep()
    // The first report is guidance starting at step 0 (the start locks); then the move's answer.
    expect(reports[0]).toMatchObject({ startLocked: true, guidanceStartStep: 0, locked: false })
    const moved = reports.find((r) => r.cutoffStep === 8)
    expect(moved).toMatchObject({ cutoff: { stepIndex: 8 }, cutoffStep: 8, locked: false })
    expect(moved?.refused).toBeUndefined()
    const locked = reports.find((r) => r.locked && r.refused === undefined)
    expect(locked?.cutoffStep).toBe(8)
    const refused = reports.find((r) => r.refused !== undefined)
    expect(refused).toMatchObject({ locked: true, cutoffStep: 8, cutoff: { stepIndex: 8 } })
    expect(refused?.refused).toMatch(/already ended/)
    const steps = stepsOf(events)
    expect(steps.filter((s) => s.cfg).map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(steps.filter((s) => s.index > 8).every((s) => s.unetBatch === 1 && !s.cfg)).toBe(true)
    expect(result.cfgCutoff).toEqual({ stepIndex: 8 })
  })

  it('runs the SDXL fixture with a ratio cutoff chosen before the run', async () => {
    const events = record(client, 'xl-1')
    const result = await client.generate(
      'xl-1',
      request({ modelDir: sdxlModel, numInferenceSteps: 5, cfgCutoff: { ratio: 0.4 } })
    )
    expect(result.family).toBe('sdxl')
    expect(stepsOf(events).map((s) => s.unetBatch)).toEqual([2, 2, 2, 1, 1])
  })

  it('gives the same image for the same seed, and another for another seed', async () => {
    const pixels = async (jobId: string, seed: number): Promise<Buffer> => {
      const result = await client.generate(jobId, request({ seed, numInferenceSteps: 3 }))
      return Buffer.from(result.images[0]?.rgba ?? new ArrayBuffer(0))
    }
    const first = await pixels('seed-a', 1234)
    const second = await pixels('seed-b', 1234)
    const other = await pixels('seed-c', 1235)
    expect(first.length).toBe(64 * 64 * 4)
    expect(second.equals(first)).toBe(true)
    expect(other.equals(first)).toBe(false)
  })

  it('takes a cutoff sent while the model loads, and refuses an invalid one', async () => {
    client.release() // so the next job has to load its sessions again
    const reports: Array<InferenceEventOf<'cutoff'>['report']> = []
    const off = client.on('cutoff', (e) => {
      if (e.jobId === 'early-cut') reports.push(e.report)
    })
    const events = record(client, 'early-cut')
    const running = client.generate('early-cut', request({ numInferenceSteps: 5 }))
    client.setCfgCutoff('early-cut', { ratio: 2 })
    client.setCfgCutoff('early-cut', { stepIndex: 1 })
    await running
    off()
    expect(reports[0]?.refused).toMatch(/^invalid CFG cutoff: must be a finite number from 0 to 1/)
    expect(reports[1]).toEqual({
      cutoff: { stepIndex: 1 },
      cutoffStep: null,
      locked: false,
      cfgInterval: null,
      guidanceStartStep: null,
      startLocked: false,
      guidanceScale: null
    })
    expect(stepsOf(events).map((s) => s.unetBatch)).toEqual([2, 2, 1, 1, 1])
  })

  it('a stop sent before the first step ends the run before step 0, still with an image', async () => {
    client.release() // so the job spends a while loading, when the stop arrives
    const events = record(client, 'early-stop')
    const running = client.generate('early-stop', request({ numInferenceSteps: 20 }))
    expect(client.stop('early-stop')).toBe(true)
    const result = await running
    expect(result).toMatchObject({ interrupted: true, stepsRun: 0, numTimesteps: 20 })
    expect(stepsOf(events)).toEqual([])
    expect(result.images[0]?.rgba.byteLength).toBe(64 * 64 * 4)
    const phases = events.filter((e) => e.type === 'state').map((e) => e.phase)
    expect(phases).toEqual(['loading', 'encoding', 'denoising', 'decoding'])
  })

  it('fails a job with the engine’s message and keeps the process for the next job', async () => {
    const failures: string[] = []
    const off = client.on('failed', (e) => failures.push(e.message))
    const pid = client.pid
    const error = await client
      .generate('bad-1', request({ modelDir: resolve(__dirname, 'no-such-model') }))
      .catch((e: unknown) => e)
    off()
    expect(error).toBeInstanceOf(InferenceJobError)
    expect((error as InferenceJobError).crashed).toBe(false)
    expect((error as InferenceJobError).message).toContain('no-such-model')
    expect(failures).toEqual([(error as InferenceJobError).message])
    expect(client.pid).toBe(pid) // an engine error is not a crash: same process
  })

  it('refuses a second job while one runs (main queues)', async () => {
    const first = client.generate('busy-1', request({ numInferenceSteps: 2 }))
    await expect(client.generate('busy-2', request())).rejects.toThrow(
      'the inference process is busy with job busy-1; queue busy-2 instead'
    )
    await first
  })

  it('streams each step and its preview to main while the process computes the next ones', async () => {
    // Main handles the first step's message while the run goes on (its event loop is free:
    // session.run blocks the inference process, not main), so a stop sent from that handler
    // lands at one of the next step boundaries, not after the last step. How long main's loop
    // waits meanwhile is measured by the benchmark (bench/README.md), not judged here.
    const events = record(client, 'stream-1')
    const off = client.on('step', (e) => {
      if (e.jobId === 'stream-1' && e.step.index === 0) client.stop('stream-1')
    })
    const result = await client.generate(
      'stream-1',
      request({ width: 256, height: 256, numInferenceSteps: 30 })
    )
    off()
    const steps = stepsOf(events)
    expect(client.pid).not.toBe(process.pid)
    expect(result.interrupted).toBe(true)
    expect(result.stepsRun).toBeLessThan(30)
    expect(steps.map((s) => s.index)).toEqual([...Array(result.stepsRun).keys()])
    expect(steps.every((s) => s.preview?.rgba.byteLength === 32 * 32 * 4)).toBe(true)
    // One message per step, in order, each before the result.
    const order = events.map((e) => e.type).filter((t) => t === 'step' || t === 'done')
    expect(order).toEqual([...Array<string>(result.stepsRun).fill('step'), 'done'])
  })
})

describe('inference process deaths', () => {
  it('SIGKILL mid-denoising fails that job with a message; main stays up; the next job works', async () => {
    const dying = new InferenceClient()
    try {
      let killedPid: number | null = null
      const off = dying.on('step', (e) => {
        if (e.jobId !== 'kill-1' || e.step.index !== 2 || killedPid !== null) return
        killedPid = dying.pid
        process.kill(killedPid as number, 'SIGKILL')
      })
      const events = record(dying, 'kill-1')
      const error = await dying
        .generate('kill-1', request({ numInferenceSteps: 400 }))
        .catch((e: unknown) => e)
      off()
      expect(killedPid).not.toBeNull()
      expect(error).toBeInstanceOf(InferenceJobError)
      expect((error as InferenceJobError).crashed).toBe(true)
      expect((error as InferenceJobError).message).toBe(
        'the inference process stopped unexpectedly (signal SIGKILL); the job was not finished — try again'
      )
      // Exactly one end, and it is the failure; the run was really in its denoising phase.
      expect(events.filter((e) => e.type === 'failed' || e.type === 'done')).toHaveLength(1)
      expect(events.at(-1)).toMatchObject({ type: 'failed', jobId: 'kill-1' })
      expect(stepsOf(events).length).toBeGreaterThanOrEqual(3)
      expect(stepsOf(events).length).toBeLessThan(400)
      expect(dying.runningJobId).toBeNull()
      expect(dying.pid).toBeNull()
      const next = await dying.generate('kill-2', request({ numInferenceSteps: 2 }))
      expect(next.stepsRun).toBe(2)
      expect(next.images[0]?.rgba.byteLength).toBe(64 * 64 * 4)
      expect(dying.pid).not.toBe(killedPid)
    } finally {
      await dying.terminate()
    }
  })

  it('stop never ends the process; terminate does, failing the running job', async () => {
    const own = new InferenceClient()
    try {
      const off = own.on('step', (e) => {
        if (e.jobId === 'stop-keep' && e.step.index === 1) own.stop('stop-keep')
      })
      await own.generate('stop-keep', request({ numInferenceSteps: 50 }))
      off()
      const pid = own.pid
      expect(pid).not.toBeNull()
      const offTerminate = own.on('step', (e) => {
        if (e.jobId === 'term-1' && e.step.index === 1) void own.terminate()
      })
      const error = await own
        .generate('term-1', request({ numInferenceSteps: 400 }))
        .catch((e: unknown) => e)
      offTerminate()
      expect((error as InferenceJobError).message).toBe(
        'the inference process was shut down; the job was not finished'
      )
      expect(own.pid).toBeNull()
      expect(() => process.kill(pid as number, 0)).toThrow() // really gone
    } finally {
      await own.terminate()
    }
  })

  // Session creation out of memory, for real: an address-space limit (RLIMIT_AS, as `ulimit -v`
  // sets it) is put on the running inference process just above what it already maps, then a
  // model with more graphs than the loaded one is asked for. onnxruntime cannot map the memory
  // for its new sessions (a thread stack, an arena) and fails. Linux only (prlimit, /proc).
  const canLimit = process.platform === 'linux' && spawnSync('prlimit', ['--version']).status === 0
  it.skipIf(!canLimit)(
    'session creation out of memory fails the job with a message; main and the client stay up',
    async () => {
      const limited = new InferenceClient()
      try {
        await limited.generate('warm', request({ numInferenceSteps: 1 }))
        limited.release()
        const pid = limited.pid as number
        await new Promise((r) => setTimeout(r, 200)) // let the release finish
        const mapped =
          Number(/VmSize:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024
        expect(spawnSync('prlimit', [`--pid=${pid}`, `--as=${mapped + 2 ** 20}:`]).status).toBe(0)
        const events = record(limited, 'oom-1')
        const error = await limited
          .generate('oom-1', request({ modelDir: sdxlModel, numInferenceSteps: 2 }))
          .catch((e: unknown) => e)
        expect(error).toBeInstanceOf(InferenceJobError)
        const message = (error as InferenceJobError).message
        if ((error as InferenceJobError).crashed) {
          // The limit hit V8 first: the process died; that is one failed job, nothing more.
          expect(message).toMatch(
            /^the inference process stopped unexpectedly \(signal SIG[A-Z]+\)/
          )
        } else {
          // onnxruntime reported it: the process lives on, and says what happened. Where the limit
          // bites depends on the machine: mapping a session's memory, the load check's first run
          // of a fused graph allocating from its arena, or a C++ allocation during the session's
          // initialisation (std::bad_alloc, seen in a fresh-clone CI run).
          expect(message).toMatch(
            /^out of memory: .*could not be loaded: .*(Cannot allocate memory|Failed to allocate memory|std::bad_alloc)/
          )
          expect(limited.pid).toBe(pid)
          // Only the soft limit was lowered, so it can be raised again without privileges.
          expect(spawnSync('prlimit', [`--pid=${pid}`, '--as=unlimited:']).status).toBe(0)
        }
        expect(events.filter((e) => e.type === 'failed')).toHaveLength(1)
        const next = await limited.generate(
          'after-oom',
          request({ modelDir: sdxlModel, numInferenceSteps: 2 })
        )
        expect(next.stepsRun).toBe(2)
      } finally {
        await limited.terminate()
      }
    }
  )

  it('reports process.exit and uncaught errors inside the process, then restarts it', async () => {
    const crashing = new InferenceClient({ entryFile: harness })
    try {
      const stopOnFirstStep = crashing.on('step', (e) => {
        if (e.step.index === 0) crashing.stop(e.jobId)
      })
      const exited = await crashing
        .generate('exit:7', request({ numInferenceSteps: 30 }))
        .catch((e: unknown) => e)
      expect(exited).toBeInstanceOf(InferenceJobError)
      expect((exited as InferenceJobError).message).toBe(
        'the inference process stopped unexpectedly (exit code 7); the job was not finished — try again'
      )
      const thrown = await crashing
        .generate('throw:boom in the child', request({ numInferenceSteps: 30 }))
        .catch((e: unknown) => e)
      expect((thrown as InferenceJobError).message).toBe(
        'the inference process crashed: boom in the child; the job was not finished — try again'
      )
      stopOnFirstStep()
      const next = await crashing.generate('after-crash', request({ numInferenceSteps: 2 }))
      expect(next.stepsRun).toBe(2)
    } finally {
      await crashing.terminate()
    }
  })
})
