import type { CfgCutoff, CfgCutoffState } from '../contract'
import { isTerminalJobState } from '../contract'
import { checkForm } from '../lib/form-params'
import { latestWinsCaller } from '../lib/latest-wins-caller'
import { previewFrames } from '../lib/preview-frames'
import { useAppStore } from './app-store'
import { useFormStore } from './form-store'
import { useInputImageStore } from './input-image-store'
import { cutoffLocked, takesOverLiveView, useJobStore } from './job-store'
import { messageOf, useNoticeStore } from './notice-store'
import { useQueueStore } from './queue-store'

/**
 * What the Generate, Stop and cutoff controls do. They live outside the components so the keyboard
 * shortcuts and the buttons share one implementation.
 */

/**
 * Validates the form (with main's schema) and queues a job. Invalid input is reported in the
 * error banner and next to the fields, and nothing is sent; main re-validates what is sent and
 * its message, if any, is shown as it is.
 *
 * @returns whether a job was queued
 */
export async function generate(): Promise<boolean> {
  const api = useAppStore.getState().api
  const notices = useNoticeStore.getState()
  if (api === null) {
    notices.showError('Not connected to the Stepwise engine.')
    return false
  }
  const form = useFormStore.getState()
  const check = checkForm(form.values)
  if (!check.ok) {
    form.setFieldErrors(check.fieldErrors)
    notices.showError(check.message)
    return false
  }
  notices.clearError()
  try {
    const params = { ...check.params, ...(await useInputImageStore.getState().paramsForRun(api)) }
    const ticket = await api.generate(params)
    if (ticket.startStep !== undefined) {
      useInputImageStore.getState().rememberStartStep(ticket.jobId, ticket.startStep)
    }
    useFormStore.getState().rememberSeed(ticket.seed)
    const jobs = useJobStore.getState()
    if (jobs.live?.jobId === ticket.jobId || takesOverLiveView(jobs.live, ticket.jobId, 'queued')) {
      if (jobs.live?.jobId !== ticket.jobId) previewFrames.reset(ticket.jobId)
      jobs.begin(ticket.jobId, ticket.seed, params, ticket.numTimesteps)
    }
    void useQueueStore.getState().refresh()
    return true
  } catch (error) {
    notices.showError(messageOf(error))
    return false
  }
}

/** Stops the live job at its next step boundary; the button shows "stopping…" at once. */
export async function stopLive(): Promise<void> {
  const api = useAppStore.getState().api
  const live = useJobStore.getState().live
  if (api === null || live === null || isTerminalJobState(live.state) || live.stopping) return
  // The request goes first: React renders the store change below in a microtask, and the call
  // queued before it is sent before that render, not after it.
  const request = api.stop(live.jobId)
  useJobStore.getState().markStopping(live.jobId)
  try {
    await request
  } catch (error) {
    useNoticeStore.getState().showError(messageOf(error))
  }
}

const sendCutoff = latestWinsCaller(
  async ({ jobId, cutoff }: { jobId: string; cutoff: CfgCutoff | null }) => {
    const api = useAppStore.getState().api
    if (api === null) throw new Error('Not connected to the Stepwise engine.')
    return api.setCfgCutoff(jobId, cutoff)
  },
  (state: CfgCutoffState, { jobId }) => useJobStore.getState().applyCutoff(jobId, state),
  (error) => useNoticeStore.getState().showError(messageOf(error))
)

/**
 * Applies a new cutoff to the running job (the inference process replaces its live cutoff callback), unless
 * guidance has already ended: it cannot come back, so the control is locked then.
 */
export function moveLiveCutoff(cutoff: CfgCutoff | null): void {
  const live = useJobStore.getState().live
  if (live === null || isTerminalJobState(live.state) || cutoffLocked(live)) return
  sendCutoff({ jobId: live.jobId, cutoff })
}
