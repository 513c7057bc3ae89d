import type {
  CfgCutoff,
  CfgCutoffState,
  CfgInterval,
  GenerateParams,
  JobTicket,
  ResultMetadata
} from '../contract'
import { isTerminalJobState } from '../contract'
import { batchCountOf, checkForm, intervalFromForm, validCutoffFromForm } from '../lib/form-params'
import type { BranchSource } from '../lib/form-params'
import { latestWinsCaller } from '../lib/latest-wins-caller'
import { previewFrames } from '../lib/preview-frames'
import { useAppStore } from './app-store'
import { useFormStore } from './form-store'
import { useHistoryStore } from './history-store'
import { useInputImageStore } from './input-image-store'
import { cutoffLocked, takesOverLiveView, useJobStore } from './job-store'
import { messageOf, useNoticeStore } from './notice-store'
import { useQueueStore } from './queue-store'
import { useRunPlanStore } from './run-plan-store'

/**
 * What the Generate, Stop and cutoff controls do. They live outside the components so the keyboard
 * shortcuts and the buttons share one implementation.
 */

/** Whether two guidance settings (cutoffs, intervals) are the same. */
function sameSetting(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Queues validated parameters (with the input picture and mask when `withPicture`) and shows the
 * job in the live view; its ticket, or null if main refused (the error is shown).
 */
async function queue(given: GenerateParams, withPicture = false): Promise<JobTicket | null> {
  const api = useAppStore.getState().api
  const notices = useNoticeStore.getState()
  if (api === null) {
    notices.showError('Not connected to the Stepwise engine.')
    return null
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
    return ticket
  } catch (error) {
    notices.showError(messageOf(error))
    return null
  } finally {
    void useQueueStore.getState().refresh()
  }
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
  const notices = useNoticeStore.getState()
  if (useAppStore.getState().api === null) {
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
  // A branch is one run: it keeps its parent's seed, so a batch of seeds cannot branch.
  const count = form.values.branchFrom === null ? batchCountOf(form.values) : 1
  let firstSeed: number | null = check.params.seed
  for (let k = 0; k < count; k++) {
    // Runs after the first take the guidance as the form has it when each is queued.
    const now = useFormStore.getState().values
    const params =
      k === 0
        ? check.params
        : {
            ...check.params,
            seed: (firstSeed as number) + k,
            cfgCutoff: validCutoffFromForm(now),
            cfgInterval: intervalFromForm(now)
          }
    const ticket = await queue(params, true)
    if (ticket === null) return false
    if (k === 0) firstSeed = ticket.seed
    // Moved while the job was on its way: send it now, or it would be shown and never applied.
    const after = useFormStore.getState().values
    const cutoff = validCutoffFromForm(after)
    if (!sameSetting(cutoff, params.cfgCutoff)) sendCutoff({ jobId: ticket.jobId, cutoff })
    const interval = intervalFromForm(after)
    if (!sameSetting(interval, params.cfgInterval)) {
      sendInterval({ jobId: ticket.jobId, interval })
    }
  }
  // A branch is one run: the next Generate starts afresh unless another step is chosen.
  if (form.values.branchFrom !== null) useFormStore.getState().set('branchFrom', null)
  return true
}

/**
 * Continues a stopped run from where it stopped: its own parameters, from its kept state (a
 * history entry, or the job's steps the inference process holds). Nothing to edit, so it queues
 * at once; the result is the image the run would have made had it not been stopped.
 */
export async function continueRun(
  params: GenerateParams,
  result: Pick<ResultMetadata, 'stepsRun' | 'seed'>,
  source: { historyId: string } | { jobId: string }
): Promise<boolean> {
  useNoticeStore.getState().clearError()
  // From a History entry: back to the live view, where the continued run is shown.
  useHistoryStore.getState().select(null)
  const ticket = await queue({
    ...params,
    seed: result.seed,
    stopAtStep: null,
    resumeFrom: { ...source, step: result.stepsRun - 1 }
  })
  return ticket !== null
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
  // From a History entry: back to the live view, where the branch will run.
  useHistoryStore.getState().select(null)
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

/**
 * "Stop now": main ends the inference process in the middle of the step, so the job stops at
 * once at its last finished step; that step's image follows once the model has reloaded.
 */
export async function stopLiveNow(): Promise<void> {
  const api = useAppStore.getState().api
  const live = useJobStore.getState().live
  if (api === null || live === null || isTerminalJobState(live.state)) return
  try {
    // The job's `stopped` state (with the step it stopped at) comes as an event.
    await api.stopNow(live.jobId)
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
