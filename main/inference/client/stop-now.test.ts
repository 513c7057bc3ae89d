import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { GenerationRequest, GenerationResult } from '../protocol'
import { generationRequest } from '../../../testing/generation-requests'
import { InferenceClient } from './inference-client'
import type { StopNowTicket } from './inference-client'

// Real inference processes running real onnxruntime sessions on the shipped model; "stop now"
// really kills the process in the middle of a step.
const model = resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

// This file's requests: every step sends its state, however fast (this model's steps take ms).
function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return generationRequest(
    {
      modelDir: model,
      prompt: 'a yellow circle on a black background',
      numInferenceSteps: 5,
      guidanceScale: 7.5,
      width: 256,
      height: 256,
      seed: 1234
    },
    { stepStateAfterMs: 0, ...overrides }
  )
}

const client = new InferenceClient()
afterAll(() => client.terminate())

/** Runs a job and stops it now as soon as step `atStep` has been reported. */
async function stopNowAfter(
  jobId: string,
  atStep: number,
  overrides: Partial<GenerationRequest> = {}
): Promise<{ result: GenerationResult; ticket: StopNowTicket; pid: number | null }> {
  let ticket: StopNowTicket | null = null
  const pid = client.pid
  const off = client.on('step', (event) => {
    if (event.jobId === jobId && event.step.index === atStep && ticket === null) {
      ticket = client.stopNow(jobId)
    }
  })
  const result = await client.generate(jobId, request(overrides))
  off()
  if (ticket === null) throw new Error(`step ${atStep} was never reported`)
  return { result, ticket, pid }
}

function pixels(result: GenerationResult): Buffer {
  const image = result.images[0]
  if (image === undefined) throw new Error('no image')
  return Buffer.from(image.rgba)
}

describe('InferenceClient.stopNow', () => {
  it('ends the process mid-run, decodes the last finished step, and the run continues from it', async () => {
    await client.generate('warm', request({ numInferenceSteps: 1 }))
    const pidBefore = client.pid
    const { result, ticket } = await stopNowAfter('now-1', 1)
    await ticket.exited
    expect(ticket.step).not.toBeNull()
    const k = ticket.step as number
    expect(k).toBeGreaterThanOrEqual(1)
    expect(result.interrupted).toBe(true)
    expect(result.stepsRun).toBe(k + 1)
    expect(result.images).toHaveLength(1)
    expect(result.snapshots.map((s) => s.step)).toEqual([k])
    expect(client.pid).not.toBe(pidBefore)

    await ticket.ready
    // The decoded step is the image a regular stop at that step gives, bit for bit.
    const stopped = await client.generate('stop-at', request({ stopAtStep: k }))
    expect(pixels(result).equals(pixels(stopped))).toBe(true)

    // Continued from the kept state, the run ends on the unstopped run's image, bit for bit.
    const snapshot = result.snapshots[0]
    if (snapshot === undefined) throw new Error('no snapshot')
    const continued = await client.generate('continued', request({ resumeFrom: snapshot }))
    const whole = await client.generate('whole', request())
    expect(continued.resumedFromStep).toBe(k)
    expect(pixels(continued).equals(pixels(whole))).toBe(true)
  })

  it('ends a job that has no finished step with no image, and the next job runs', async () => {
    let ticket: StopNowTicket | null = null
    const off = client.on('state', (event) => {
      if (event.jobId === 'early' && ticket === null) ticket = client.stopNow('early')
    })
    const result = await client.generate('early', request())
    off()
    expect(ticket).not.toBeNull()
    expect((ticket as StopNowTicket | null)?.step).toBeNull()
    expect(result.images).toHaveLength(0)
    expect(result.stepsRun).toBe(0)
    expect(result.snapshots).toHaveLength(0)
    // Queued behind the reload, the next job runs as usual.
    const next = await client.generate('after', request({ numInferenceSteps: 2 }))
    expect(next.interrupted).toBe(false)
    expect(next.images).toHaveLength(1)
  })

  it('answers null for a job that is not running', () => {
    expect(client.stopNow('nobody')).toBeNull()
  })
})
