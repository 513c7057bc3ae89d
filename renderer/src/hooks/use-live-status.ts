import type { LiveStatus } from '../lib/live-status'
import { liveStatus } from '../lib/live-status'
import { useJobStore } from '../store/job-store'

/** The status line of the live job. */
export function useLiveStatus(): LiveStatus {
  const live = useJobStore((s) => s.live)
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
          failure: live.failure
        }
  )
}
