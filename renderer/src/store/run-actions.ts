import type { CfgCutoff, CfgCutoffState } from '../contract'
import { isTerminalJobState } from '../contract'
import { batchCountOf, checkForm, validCutoffFromForm } from '../lib/form-params'
import { latestWinsCaller } from '../lib/latest-wins-caller'
import { previewFrames } from '../lib/preview-frames'
import { useAppStore } from './app-store'
import { useFormStore } from './form-store'
import { cutoffLocked, takesOverLiveView, useJobStore } from './job-store'
import { messageOf, useNoticeStore } from './notice-store'
import { useQueueStore } from './queue-store'
import { useRunPlanStore } from './run-plan-store'

/**
 * What the Generate, Stop and cutoff controls do. They live outside the components so the keyboard
 * shortcuts and the buttons share one implementation.
 */

/** Whether two cutoffs are the same setting. */
function sameCutoff(a: CfgCutoff | null, b: CfgCutoff | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Validates the form (with main's schema) and queues its runs: the batch count's runs with seeds
 * s, s + 1, … (s drawn by main for a random seed), each making the form's images per prompt.
 * Invalid input is reported in the error banner and next to the fields, and nothing is sent;
 * main re-validates what is sent and its message, if any, is shown as it is.
 *
 * The form stays live while the request is on its way: a cutoff moved before the job is
 * confirmed is sent to the job as soon as it is (otherwise it would be shown and never applied).
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
  const model = useAppStore.getState().models.find((m) => m.id === form.values.modelId)
  const check = checkForm(form.values, {
    sizeMultiple: model?.defaults.sizeMultiple,
    total: useRunPlanStore.getState().numTimesteps
  })
  if (!check.ok) {
    form.setFieldErrors(check.fieldErrors)
    notices.showError(check.message)
    return false
  }
  notices.clearError()
  const count = batchCountOf(form.values)
  let firstSeed: number | null = check.params.seed
  try {
    for (let k = 0; k < count; k++) {
      // Runs after the first take the cutoff as the form has it when each is queued.
      const cutoffNow = validCutoffFromForm(useFormStore.getState().values)
      const params =
        k === 0
          ? check.params
          : { ...check.params, seed: (firstSeed as number) + k, cfgCutoff: cutoffNow }
      const ticket = await api.generate(params)
      if (k === 0) firstSeed = ticket.seed
      useFormStore.getState().rememberSeed(ticket.seed)
      const jobs = useJobStore.getState()
      if (
        jobs.live?.jobId === ticket.jobId ||
        takesOverLiveView(jobs.live, ticket.jobId, 'queued')
      ) {
        if (jobs.live?.jobId !== ticket.jobId) previewFrames.reset(ticket.jobId)
        jobs.begin(ticket.jobId, ticket.seed, params, ticket.numTimesteps)
      }
      const moved = validCutoffFromForm(useFormStore.getState().values)
      if (!sameCutoff(moved, params.cfgCutoff)) sendCutoff({ jobId: ticket.jobId, cutoff: moved })
    }
    void useQueueStore.getState().refresh()
    return true
  } catch (error) {
    notices.showError(messageOf(error))
    void useQueueStore.getState().refresh()
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
