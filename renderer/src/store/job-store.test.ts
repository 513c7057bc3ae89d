import { beforeEach, describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from '../../../shared/params'
import type { LiveJob, LiveStep } from './job-store'
import { cutoffLocked, takesOverLiveView, useJobStore } from './job-store'

const params = GenerateParamsSchema.parse({
  prompt: 'a red circle',
  numInferenceSteps: 10,
  cfgCutoff: { ratio: 0.4 }
})

function step(index: number, cfg = true): LiveStep {
  return {
    index,
    timestep: 999 - index * 100,
    total: 10,
    ms: 5,
    unetMs: 4,
    unetBatch: cfg ? 2 : 1,
    cfg,
    guidanceScale: cfg ? 7.5 : 0,
    hasPreview: true
  }
}

function live(): LiveJob {
  const job = useJobStore.getState().live
  if (job === null) throw new Error('no live job')
  return job
}

beforeEach(() => {
  useJobStore.setState({ live: null, inspectedStep: null })
})

describe('takesOverLiveView', () => {
  it('shows a new job when nothing runs, and never replaces a running one', () => {
    expect(takesOverLiveView(null, 'a', 'queued')).toBe(true)
    useJobStore.getState().begin('a', 1, params, 10, 'denoising')
    expect(takesOverLiveView(live(), 'b', 'queued')).toBe(false)
    expect(takesOverLiveView(live(), 'b', 'loading')).toBe(false)
    useJobStore.getState().applyState('a', 'done', undefined, 0)
    expect(takesOverLiveView(live(), 'b', 'loading')).toBe(true)
  })

  it('lets a running job replace one that only waits', () => {
    useJobStore.getState().begin('mine', 1, params, 10)
    expect(takesOverLiveView(live(), 'other', 'loading')).toBe(true)
    expect(takesOverLiveView(live(), 'other', 'done')).toBe(false)
  })
})

describe('the live job', () => {
  it('keeps what early events brought when generate() replies later', () => {
    const store = useJobStore.getState()
    store.begin('a', null, null, 0, 'loading')
    store.addSteps('a', [step(0), step(1)])
    store.begin('a', 42, params, 11)
    expect(live()).toMatchObject({ seed: 42, params, state: 'loading', total: 10 })
    expect(live().steps).toHaveLength(2)
  })

  it('ignores events of other jobs', () => {
    const store = useJobStore.getState()
    store.begin('a', 1, params, 10)
    store.addSteps('b', [step(0)])
    store.applyState('b', 'failed', 'no', 0)
    expect(live().steps).toEqual([])
    expect(live().state).toBe('queued')
  })

  it('ends stopping with the terminal state and records the failure message', () => {
    const store = useJobStore.getState()
    store.begin('a', 1, params, 10)
    store.markStopping('a')
    expect(live().stopping).toBe(true)
    store.applyState('a', 'failed', 'unet: input mismatch', 5)
    expect(live()).toMatchObject({ stopping: false, failure: 'unet: input mismatch' })
  })
})

describe('cutoffLocked', () => {
  it('locks once the run has finished the cutoff step int(T · ratio)', () => {
    const store = useJobStore.getState()
    store.begin('a', 1, params, 10, 'denoising')
    store.addSteps('a', [step(0), step(1), step(2), step(3)])
    expect(cutoffLocked(live())).toBe(false)
    store.addSteps('a', [step(4)])
    expect(cutoffLocked(live())).toBe(true)
  })

  it('follows the inference process’s own report and unlocks when the run ends', () => {
    const store = useJobStore.getState()
    store.begin('a', 1, params, 10, 'denoising')
    store.applyCutoff('a', {
      cutoff: { ratio: 0.4 },
      cutoffStep: 4,
      locked: true,
      cfgInterval: null,
      guidanceStartStep: 0,
      startLocked: true,
      guidanceScale: null
    })
    expect(cutoffLocked(live())).toBe(true)
    store.applyState('a', 'done', undefined, 0)
    expect(cutoffLocked(live())).toBe(false)
  })

  it('never locks without a cutoff', () => {
    const store = useJobStore.getState()
    store.begin('a', 1, { ...params, cfgCutoff: null }, 10, 'denoising')
    store.addSteps('a', [step(0), step(9)])
    expect(cutoffLocked(live())).toBe(false)
  })
})
