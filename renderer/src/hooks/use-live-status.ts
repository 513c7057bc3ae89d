import { useShallow } from 'zustand/react/shallow'
import type { LiveStatus } from '../lib/live-status'
import { liveStatus } from '../lib/live-status'
import type { LiveJob } from '../store/job-store'
import { useJobStore } from '../store/job-store'

/** The status line of a live job (null: nothing ran yet). */
export function statusOf(live: LiveJob | null): LiveStatus {
  return liveStatus(
    live === null
      ? null
      : {
          state: live.state,
          stopping: live.stopping,
          stepsDone: live.steps.length,
          total: live.result?.numTimesteps ?? live.total,
          stepsRun: live.result?.stepsRun ?? null,
          interrupted: live.result?.interrupted ?? false,
          totalMs: live.result?.totalMs ?? null,
          failure: live.failure,
          stopNote: live.result === null ? live.stopNote : null
        }
  )
}

/**
 * The status line of the live job. Compared by its words, so a run's steps re-render the
 * component only where the line itself changes (e.g. "stopped at step k of N · decoding…").
 */
export function useLiveStatus(): LiveStatus {
  return useJobStore(useShallow((s) => statusOf(s.live)))
}
