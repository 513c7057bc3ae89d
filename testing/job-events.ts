import type {
  JobDoneEvent,
  JobState,
  JobStateEvent,
  JobStepEvent,
  StepwiseEvent
} from '../shared/contract'
import { TERMINAL_JOB_STATES } from '../shared/contract'

/** One job's events, picked out of everything a test collected from the event hub. */
export interface JobEventFilters {
  /** The job's `job:state` events, in order. */
  stateEventsOf(jobId: string): JobStateEvent[]
  /** The states the job went through, in order (repeats included). */
  statesOf(jobId: string): JobState[]
  /** The job's terminal states: one for a job that ended once, none while it runs or waits. */
  endsOf(jobId: string): JobState[]
  /** The job's `job:step` events, in order. */
  stepsOf(jobId: string): JobStepEvent[]
  /** The job's `job:done` event, once its image is stored. */
  doneOf(jobId: string): JobDoneEvent | undefined
  /** A check for {@link until}: whether the job has reached a terminal state. */
  ended(jobId: string): () => boolean
}

/**
 * Filters over a test's collected events. `events` is read at each call, so a test may replace
 * its list between cases (a fresh array per `beforeEach`).
 */
export function jobEventFilters(events: () => readonly StepwiseEvent[]): JobEventFilters {
  const stateEventsOf = (jobId: string): JobStateEvent[] =>
    events().filter((e): e is JobStateEvent => e.type === 'job:state' && e.jobId === jobId)
  const statesOf = (jobId: string): JobState[] => stateEventsOf(jobId).map((e) => e.state)
  const endsOf = (jobId: string): JobState[] =>
    statesOf(jobId).filter((s) => TERMINAL_JOB_STATES.includes(s))
  return {
    stateEventsOf,
    statesOf,
    endsOf,
    stepsOf: (jobId) =>
      events().filter((e): e is JobStepEvent => e.type === 'job:step' && e.jobId === jobId),
    doneOf: (jobId) =>
      events().find((e): e is JobDoneEvent => e.type === 'job:done' && e.jobId === jobId),
    ended: (jobId) => () => endsOf(jobId).length > 0
  }
}

/**
 * Resolves once `check` holds, polling every 2 ms (events arrive between polls); rejects after
 * `timeoutMs`.
 */
export function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now()
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve()
      else if (Date.now() - start > timeoutMs) reject(new Error('timed out waiting'))
      else setTimeout(tick, 2)
    }
    tick()
  })
}
