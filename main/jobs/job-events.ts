import type { EventHub } from '../events/event-hub'
import type { InferenceEvent } from '../inference/protocol'
import type { CutoffRequests } from './cutoff-requests'
import type { Job } from './job'
import { toRgbaImage } from './job-result'

/** What an inference event of the running job updates besides the job itself. */
export interface JobEventTargets {
  events: EventHub
  cutoffRequests: CutoffRequests
  /** Sends the job's `job:state` event. */
  emitState(job: Job): void
}

/**
 * Applies an inference event of the running job to it and passes it on as the app's job event.
 * `done` and `failed` are left out: they settle the inference promise the queue waits on.
 */
export function applyInferenceEvent(job: Job, event: InferenceEvent, to: JobEventTargets): void {
  switch (event.type) {
    case 'load-progress':
      job.load = event.progress
      if (job.state === 'loading') to.emitState(job)
      return
    case 'state':
      if (job.state !== event.phase) {
        job.state = event.phase
        to.emitState(job)
      }
      return
    case 'step': {
      const { preview: frame, ...report } = event.step
      job.steps.push({ unetMs: report.unetMs, unetBatch: report.unetBatch, cfg: report.cfg })
      const preview = frame === null ? null : toRgbaImage(frame)
      if (preview !== null && job.params.keepPreviews) job.previews.set(report.index, preview)
      job.recordStep(report, preview)
      to.events.emit({ type: 'job:step', jobId: job.id, ...report, preview })
      return
    }
    case 'cutoff': {
      const { refused, ...state } = event.report
      job.cutoff = state
      to.cutoffRequests.answer(job.id, event.report)
      to.events.emit({
        type: 'job:cutoff',
        jobId: job.id,
        state: refused === undefined ? state : { ...state, refused }
      })
      return
    }
    case 'warning':
      job.warnings.push(event.message)
      to.events.emit({ type: 'job:warning', jobId: job.id, message: event.message })
      return
    case 'done':
    case 'failed':
      return
  }
}
