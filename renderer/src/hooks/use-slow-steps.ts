import { useEffect, useState } from 'react'
import { selectStepsDone } from '../store/live-selectors'
import { useJobStore } from '../store/job-store'

/**
 * From how long a step takes "Stop now" is offered: below it the regular Stop (at the end of
 * the step) comes soon enough, and ending the inference process would cost a model reload for
 * less than a second saved.
 */
export const SLOW_STEP_MS = 1000

/**
 * Whether the live job's steps are slow: it is denoising and its last step took at least
 * `thresholdMs`, or the step now running (the first one included) has run that long already.
 */
export function useSlowSteps(thresholdMs = SLOW_STEP_MS): boolean {
  const denoising = useJobStore((s) => s.live?.state === 'denoising')
  const lastMs = useJobStore((s) => s.live?.steps[s.live.steps.length - 1]?.ms ?? null)
  const stepsDone = useJobStore(selectStepsDone)
  const jobId = useJobStore((s) => s.live?.jobId ?? null)
  // The step in progress, and whether it has already run `thresholdMs`.
  const current = `${jobId ?? ''}:${stepsDone}`
  const [waited, setWaited] = useState<string | null>(null)
  useEffect(() => {
    if (!denoising) return undefined
    const timer = setTimeout(() => setWaited(current), thresholdMs)
    return () => clearTimeout(timer)
  }, [denoising, current, thresholdMs])
  if (!denoising) return false
  return (lastMs !== null && lastMs >= thresholdMs) || waited === current
}
