import type { StepwiseApi, StepwiseEvent } from '../contract'
import { isTerminalJobState } from '../contract'
import { FrameBatcher } from '../lib/frame-batcher'
import type { FrameCanceller, FrameScheduler } from '../lib/latest-wins-painter'
import { previewFrames } from '../lib/preview-frames'
import { useFormStore } from './form-store'
import { useAppStore } from './app-store'
import { useHistoryStore } from './history-store'
import type { LiveStep } from './job-store'
import { takesOverLiveView, useJobStore } from './job-store'
import { useLibraryStore } from './library-store'
import { useNoticeStore } from './notice-store'
import { useQueueStore } from './queue-store'

/**
 * Delivers main's events to the stores. Step previews go to the canvases directly (previewFrames);
 * step records are batched per animation frame so a fast model does not re-render the gallery for
 * every step.
 *
 * @param frames when step batches are delivered: the browser's animation frames unless given
 * @returns the unsubscribe function
 */
export function routeEvents(
  api: Pick<StepwiseApi, 'onEvent'>,
  frames?: { schedule: FrameScheduler; cancel: FrameCanceller }
): () => void {
  const deliver = (items: { jobId: string; record: LiveStep }[]): void => {
    const byJob = new Map<string, LiveStep[]>()
    for (const { jobId, record } of items) {
      const list = byJob.get(jobId) ?? []
      list.push(record)
      byJob.set(jobId, list)
    }
    for (const [jobId, records] of byJob) useJobStore.getState().addSteps(jobId, records)
  }
  const steps =
    frames === undefined
      ? new FrameBatcher(deliver)
      : new FrameBatcher(deliver, frames.schedule, frames.cancel)

  const onEvent = (event: StepwiseEvent): void => {
    const jobs = useJobStore.getState()
    switch (event.type) {
      case 'job:state': {
        if (takesOverLiveView(jobs.live, event.jobId, event.state)) {
          // A job this window did not start (or whose reply is still on its way) now runs.
          const summary = useQueueStore.getState().jobs.find((j) => j.jobId === event.jobId)
          previewFrames.reset(event.jobId)
          steps.clear()
          jobs.begin(
            event.jobId,
            summary?.seed ?? null,
            summary?.params ?? null,
            summary?.numTimesteps ?? 0,
            event.state
          )
        }
        // Decoding begins after the last step: the step count must be whole when the status line
        // says where a stopped run ended.
        if (event.state === 'decoding' || isTerminalJobState(event.state)) steps.flush()
        if (isTerminalJobState(event.state) || event.state === 'encoding') {
          // A finished job changed what the inference process holds (and its memory); a job that
          // has loaded shows the process running, the first run included.
          void useLibraryStore.getState().refreshStatus()
        }
        const store = useJobStore.getState()
        store.applyState(event.jobId, event.state, event.message, performance.now())
        store.applyLoad(event.jobId, event.state === 'loading' ? (event.load ?? null) : null)
        // Another window may have pressed Stop; show it here too.
        if (event.stopping && !isTerminalJobState(event.state)) store.markStopping(event.jobId)
        if (event.state === 'failed' && useJobStore.getState().live?.jobId === event.jobId) {
          useNoticeStore.getState().showError(event.message ?? 'The job failed.')
        }
        void useQueueStore.getState().refresh()
        return
      }
      case 'job:step': {
        if (event.preview !== null) {
          previewFrames.put(event.jobId, event.index, event.preview, event.endedAt)
        }
        steps.push({
          jobId: event.jobId,
          record: {
            index: event.index,
            timestep: event.timestep,
            total: event.total,
            ms: event.ms,
            unetMs: event.unetMs,
            unetBatch: event.unetBatch,
            cfg: event.cfg,
            guidanceScale: event.guidanceScale,
            ...(event.previewMethod === undefined ? {} : { previewMethod: event.previewMethod }),
            ...(event.previewMs === undefined ? {} : { previewMs: event.previewMs }),
            hasPreview: event.preview !== null
          }
        })
        return
      }
      case 'job:cutoff':
        jobs.applyCutoff(event.jobId, event.state)
        return
      case 'job:warning':
        jobs.addWarning(event.jobId, event.message)
        return
      case 'job:done': {
        steps.flush()
        // A job stopped now ended before this: its image comes from a fresh inference process.
        const before = useJobStore.getState().live
        if (before?.jobId === event.jobId && isTerminalJobState(before.state)) {
          void useLibraryStore.getState().refreshStatus()
        }
        const live = useJobStore.getState()
        live.applyDone(
          event.jobId,
          event.image,
          event.result,
          event.historyId,
          event.historyError ?? null,
          event.batch ?? []
        )
        useFormStore.getState().rememberSeed(event.result.seed)
        if (event.historyError !== undefined && live.live?.jobId === event.jobId) {
          useNoticeStore
            .getState()
            .showError(`The result could not be saved to history: ${event.historyError}`)
        }
        return
      }
      case 'history:changed':
        void useHistoryStore.getState().refresh()
        return
      case 'models:changed':
        void useAppStore.getState().refreshModels()
        void useLibraryStore.getState().refresh()
        // A removed model's sessions were freed: the status bar must stop naming it.
        void useLibraryStore.getState().refreshStatus()
        return
      case 'download:update':
        useLibraryStore.getState().applyDownload(event.download)
        return
    }
  }

  const unsubscribe = api.onEvent(onEvent)
  return () => {
    unsubscribe()
    steps.clear()
  }
}
