import type {
  CfgCutoff,
  CfgCutoffState,
  CfgInterval,
  GenerateParams,
  ResultMetadata
} from '../contract'
import { isTerminalJobState } from '../contract'
import { checkForm } from '../lib/form-params'
import type { BranchSource } from '../lib/form-params'
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
 * Queues validated parameters (with the input picture and mask when `withPicture`) and shows the
 * job in the live view; false if main refused.
 */
async function queue(given: GenerateParams, withPicture = false): Promise<boolean> {
  const api = useAppStore.getState().api
  const notices = useNoticeStore.getState()
  if (api === null) {
    notices.showError('Not connected to the Stepwise engine.')
    return false
  }
  try {
    const params = withPicture
      ? { ...given, ...(await useInputImageStore.getState().paramsForRun(api)) }
      : given
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

/**
 * Validates the form (with main's schema) and queues a job. Invalid input is reported in the
 * error banner and next to the fields, and nothing is sent; main re-validates what is sent and
 * its message, if any, is shown as it is.
 *
 * @returns whether a job was queued
 */
export async function generate(): Promise<boolean> {
  const notices = useNoticeStore.getState()
  if (useAppStore.getState().api === null) {
    notices.showError('Not connected to the Stepwise engine.')
    return false
  }
  const form = useFormStore.getState()
  const model = useAppStore.getState().models.find((m) => m.id === form.values.modelId)
  const check = checkForm(form.values, { sizeMultiple: model?.defaults.sizeMultiple })
  if (!check.ok) {
    form.setFieldErrors(check.fieldErrors)
    notices.showError(check.message)
    return false
  }
  notices.clearError()
  const queued = await queue(check.params, true)
  // A branch is one run: the next Generate starts afresh unless another step is chosen.
  if (queued && form.values.branchFrom !== null) useFormStore.getState().set('branchFrom', null)
  return queued
}

/**
 * Continues a stopped run from where it stopped: its own parameters, from its kept state (a
 * history entry, or the job's steps the inference process holds). Nothing to edit, so it queues
 * at once; the result is the image the run would have made had it not been stopped.
 */
export function continueRun(
  params: GenerateParams,
  result: Pick<ResultMetadata, 'stepsRun' | 'seed'>,
  source: { historyId: string } | { jobId: string }
): Promise<boolean> {
  useNoticeStore.getState().clearError()
  return queue({
    ...params,
    seed: result.seed,
    stopAtStep: null,
    resumeFrom: { ...source, step: result.stepsRun - 1 }
  })
}

/**
 * "Branch from here": the form takes the run's parameters and a marker naming the run and step;
 * the user changes the prompt or guidance, and Generate continues that run from that step.
 */
export function branchFrom(
  params: GenerateParams,
  result: Parameters<ReturnType<typeof useFormStore.getState>['branch']>[1],
  source: BranchSource
): void {
  useFormStore.getState().branch(params, result, source)
  useNoticeStore.getState().clearError()
  document.getElementById('prompt')?.focus()
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

const sendInterval = latestWinsCaller(
  async ({ jobId, interval }: { jobId: string; interval: CfgInterval | null }) => {
    const api = useAppStore.getState().api
    if (api === null) throw new Error('Not connected to the Stepwise engine.')
    return api.setCfgInterval(jobId, interval)
  },
  (state: CfgCutoffState, { jobId }) => useJobStore.getState().applyCutoff(jobId, state),
  (error) => useNoticeStore.getState().showError(messageOf(error))
)

/**
 * Moves the running job's guidance interval. A bound that has been reached is locked (guidance
 * started: the start stays; ended: the end stays), so nothing is sent once both are.
 */
export function moveLiveInterval(interval: CfgInterval | null): void {
  const live = useJobStore.getState().live
  if (live === null || isTerminalJobState(live.state) || cutoffLocked(live)) return
  sendInterval({ jobId: live.jobId, interval })
}

const sendScale = latestWinsCaller(
  async ({ jobId, scale }: { jobId: string; scale: number }) => {
    const api = useAppStore.getState().api
    if (api === null) throw new Error('Not connected to the Stepwise engine.')
    return api.setGuidanceScale(jobId, scale)
  },
  (state: CfgCutoffState, { jobId }) => useJobStore.getState().applyCutoff(jobId, state),
  (error) => useNoticeStore.getState().showError(messageOf(error))
)

/** Sets the running job's guidance scale from its next step. */
export function setLiveGuidanceScale(scale: number): void {
  const live = useJobStore.getState().live
  if (live === null || isTerminalJobState(live.state)) return
  sendScale({ jobId: live.jobId, scale })
}
