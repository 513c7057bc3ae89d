import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from '../../../shared/params'
import { previewFrames } from '../lib/preview-frames'
import {
  EventFeed,
  ManualFrames,
  previewOf,
  resetLiveStores,
  resultOf,
  stateEvent,
  stepEvent
} from '../testing/live-events'
import { routeEvents } from './event-router'
import { useFormStore } from './form-store'
import { useJobStore } from './job-store'
import { useNoticeStore } from './notice-store'
import { useQueueStore } from './queue-store'

const params = GenerateParamsSchema.parse({
  prompt: 'a red circle',
  numInferenceSteps: 10,
  guidanceScale: 7.5,
  scheduler: 'EulerDiscreteScheduler',
  cfgCutoff: { ratio: 0.4 }
})

let feed: EventFeed
let frames: ManualFrames
let unsubscribe: () => void

beforeEach(() => {
  resetLiveStores()
  feed = new EventFeed()
  frames = new ManualFrames()
  unsubscribe = routeEvents(feed, frames)
})

afterEach(() => unsubscribe())

/** A job another window started: the queue knows it, this window has not shown it yet. */
function queued(jobId: string, seed = 77): void {
  useQueueStore.setState({
    jobs: [
      {
        jobId,
        state: 'queued',
        params,
        seed,
        position: 0,
        stopping: false,
        numTimesteps: 10,
        cfgCutoffStep: null,
        guidanceStartStep: 0
      }
    ]
  })
}

describe('routeEvents', () => {
  it('shows a job it did not start from its first event, with what the queue knows of it', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'loading'))
    const live = useJobStore.getState().live
    expect(live).toMatchObject({ jobId: 'j1', seed: 77, params, state: 'loading', total: 10 })
    expect(live?.phaseStartedAt.loading).toBeTypeOf('number')
  })

  it('hands previews over at once and step records once per frame, in one store update', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'denoising'))
    let updates = 0
    const stop = useJobStore.subscribe(() => updates++)
    feed.emit(stepEvent('j1', 0, 10), stepEvent('j1', 1, 10), stepEvent('j1', 2, 10))

    // The canvases read previews straight away; the gallery waits for the frame.
    expect(previewFrames.get(2)).toEqual(previewOf(2))
    expect(previewFrames.latest()?.index).toBe(2)
    expect(useJobStore.getState().live?.steps).toEqual([])
    expect(updates).toBe(0)

    frames.tick()
    stop()
    expect(updates).toBe(1)
    expect(useJobStore.getState().live?.steps.map((s) => [s.index, s.cfg, s.hasPreview])).toEqual([
      [0, true, true],
      [1, true, true],
      [2, true, true]
    ])
  })

  it('records a step whose preview was superseded as a step without one', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'denoising'), stepEvent('j1', 0, 10, { preview: null }))
    frames.tick()
    expect(useJobStore.getState().live?.steps[0]?.hasPreview).toBe(false)
    expect(previewFrames.get(0)).toBeUndefined()
  })

  it('counts every step before a stopped run says where it stopped', () => {
    queued('j1')
    feed.emit(
      stateEvent('j1', 'denoising'),
      stepEvent('j1', 0, 10),
      stepEvent('j1', 1, 10),
      stateEvent('j1', 'denoising', { stopping: true })
    )
    expect(useJobStore.getState().live?.stopping).toBe(true)
    // No frame has passed: decoding itself must bring the steps in.
    feed.emit(stepEvent('j1', 2, 10), stateEvent('j1', 'decoding', { stopping: true }))
    const live = useJobStore.getState().live
    expect(live?.steps).toHaveLength(3)
    expect(live?.state).toBe('decoding')
    expect(live?.stopping).toBe(true)
  })

  it('applies the result, remembers its seed and names a history failure', () => {
    queued('j1', 5)
    feed.emit(stateEvent('j1', 'denoising'), stepEvent('j1', 0, 10))
    const result = resultOf(params, 5, 10, { stepsRun: 1 })
    feed.emit({
      type: 'job:done',
      jobId: 'j1',
      image: previewOf(9),
      result,
      historyId: null,
      historyError: 'disk full'
    })
    const live = useJobStore.getState().live
    expect(live?.steps).toHaveLength(1)
    expect(live?.result).toEqual(result)
    expect(live?.historyError).toBe('disk full')
    expect(useFormStore.getState().lastSeed).toBe(5)
    expect(useNoticeStore.getState().error).toBe(
      'The result could not be saved to history: disk full'
    )
    feed.emit(stateEvent('j1', 'stopped'))
    expect(useJobStore.getState().live?.state).toBe('stopped')
    expect(useJobStore.getState().live?.stopping).toBe(false)
  })

  it('shows the engine’s message when the live job fails', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'failed', { message: 'out of memory: 3 GiB needed' }))
    // A failed job never takes over the view, so nothing is said about a job nobody watches.
    expect(useNoticeStore.getState().error).toBeNull()
    feed.emit(stateEvent('j1', 'loading'), stateEvent('j1', 'failed', { message: 'no UNet' }))
    expect(useJobStore.getState().live).toMatchObject({ state: 'failed', failure: 'no UNet' })
    expect(useNoticeStore.getState().error).toBe('no UNet')
  })

  it('keeps a running job in view and ignores the steps and previews of others', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'denoising'), stateEvent('j2', 'queued'))
    feed.emit(stepEvent('j2', 0, 10), stepEvent('j1', 0, 10, { preview: previewOf(200) }))
    frames.tick()
    const live = useJobStore.getState().live
    expect(live?.jobId).toBe('j1')
    expect(live?.steps.map((s) => s.index)).toEqual([0])
    expect(previewFrames.get(0)).toEqual(previewOf(200))
  })

  it('follows the worker’s cutoff and passes warnings on', () => {
    queued('j1')
    feed.emit(
      stateEvent('j1', 'denoising'),
      {
        type: 'job:cutoff',
        jobId: 'j1',
        state: {
          cutoff: { ratio: 0.2 },
          cutoffStep: 2,
          locked: false,
          cfgInterval: null,
          guidanceStartStep: 0,
          startLocked: true,
          guidanceScale: null
        }
      },
      { type: 'job:warning', jobId: 'j1', message: 'the prompt was truncated to 77 tokens' }
    )
    const live = useJobStore.getState().live
    expect(live?.cutoff).toEqual({
      cutoff: { ratio: 0.2 },
      cutoffStep: 2,
      locked: false,
      cfgInterval: null,
      guidanceStartStep: 0,
      startLocked: true,
      guidanceScale: null
    })
    expect(live?.warnings).toEqual(['the prompt was truncated to 77 tokens'])
  })

  it('a new job replaces a finished one and starts from no steps and no previews', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'denoising'), stepEvent('j1', 0, 10))
    frames.tick()
    feed.emit(stateEvent('j1', 'done'))
    queued('j2')
    feed.emit(stateEvent('j2', 'loading'))
    const live = useJobStore.getState().live
    expect(live?.jobId).toBe('j2')
    expect(live?.steps).toEqual([])
    expect(previewFrames.get(0)).toBeUndefined()
  })

  it('stops listening and drops waiting steps when unsubscribed', () => {
    queued('j1')
    feed.emit(stateEvent('j1', 'denoising'), stepEvent('j1', 0, 10))
    unsubscribe()
    expect(feed.size).toBe(0)
    frames.tick()
    expect(useJobStore.getState().live?.steps).toEqual([])
  })
})
