import { describe, expect, it } from 'vitest'
import type { StatusInput } from './live-status'
import { liveStatus } from './live-status'

const base: StatusInput = {
  state: 'denoising',
  stopping: false,
  stepsDone: 3,
  total: 50,
  stepsRun: null,
  interrupted: false,
  totalMs: null,
  failure: null
}

describe('liveStatus', () => {
  it('names each state with one of the agreed words', () => {
    expect(liveStatus(null)).toEqual({ kind: 'idle', text: 'idle' })
    expect(liveStatus(base)).toEqual({ kind: 'running', text: 'running · denoising' })
    expect(liveStatus({ ...base, state: 'queued' }).text).toBe('running · waiting in queue')
    expect(liveStatus({ ...base, stopping: true }).text).toBe('stopping…')
    expect(liveStatus({ ...base, state: 'done', totalMs: 1234 }).text).toBe('done in 1.2 s')
    expect(liveStatus({ ...base, state: 'failed', failure: 'unet: bad input' }).text).toBe(
      'failed: unet: bad input'
    )
  })

  it('says where a run stopped now stopped, and that its image comes after the reload', () => {
    const note = 'stopped at step 3; decoding after the model reloads'
    expect(liveStatus({ ...base, state: 'stopped', stopNote: note })).toEqual({
      kind: 'stopped',
      text: note
    })
  })

  it('says a run has stopped as soon as its partial image is decoding', () => {
    const decoding = liveStatus({ ...base, state: 'decoding', stopping: true, stepsDone: 7 })
    expect(decoding).toEqual({ kind: 'stopped', text: 'stopped at step 7 of 50 · decoding…' })
    // Stop pressed during the last step: the loop ran to the end, so the run is not a stopped one.
    const last = liveStatus({ ...base, state: 'decoding', stopping: true, stepsDone: 50 })
    expect(last).toEqual({ kind: 'stopping', text: 'stopping…' })
    expect(liveStatus({ ...base, state: 'decoding', stepsDone: 7 }).kind).toBe('running')
  })

  it('says at which step a stopped run ended', () => {
    const stopped = liveStatus({ ...base, state: 'stopped', stepsRun: 7, interrupted: true })
    expect(stopped).toEqual({ kind: 'stopped', text: 'stopped at step 7 of 50' })
  })
})
