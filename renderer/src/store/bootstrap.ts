import type { ConnectionAware } from '../api/ws-client'
import type { FormStateRecord, StepwiseApi } from '../contract'
import { formRecord, valuesFromRecord } from '../lib/form-state'
import { previewFrames } from '../lib/preview-frames'
import { defaultModel, useAppStore } from './app-store'
import { routeEvents } from './event-router'
import { useFormStore } from './form-store'
import { useHistoryStore } from './history-store'
import { useJobStore } from './job-store'
import { useLibraryStore } from './library-store'
import { useInputImageStore } from './input-image-store'
import { useQueueStore } from './queue-store'
import { useRunPlanStore } from './run-plan-store'

/** How long the form stays unchanged before it is saved (typing saves once, at the end). */
const SAVE_FORM_AFTER_MS = 400

/**
 * Takes over the job that runs now, if any: a page that connects (or reloads, or reconnects)
 * mid-run gets its steps so far and newest preview, then follows it live.
 */
export async function adoptRunningJob(api: StepwiseApi): Promise<void> {
  const snapshot = await api.liveJob().catch(() => null)
  if (snapshot === null) return
  const jobId = snapshot.job.jobId
  if (useJobStore.getState().live?.jobId !== jobId) previewFrames.reset(jobId)
  useJobStore.getState().adopt(snapshot, performance.now())
  const preview = snapshot.preview
  if (preview !== null) {
    const endedAt = snapshot.steps.find((s) => s.index === preview.index)?.endedAt ?? Date.now()
    previewFrames.put(jobId, preview.index, preview.image, endedAt)
  }
}

/** Puts the saved form back (kept across reloads and restarts); false when none was saved. */
async function restoreForm(reading: Promise<FormStateRecord | null>): Promise<boolean> {
  const saved = await reading
  if (saved === null) return false
  const form = useFormStore.getState()
  const values = valuesFromRecord(saved, form.values)
  form.replaceValues(values)
  // A saved model that is gone: the default model's settings, the saved prompt kept.
  const app = useAppStore.getState()
  if (!app.models.some((m) => m.id === values.modelId)) {
    const model = defaultModel(app)
    if (model !== null) useFormStore.getState().applyModel(model)
  }
  return true
}

/** Saves the form a moment after it last changed. */
function saveFormChanges(api: StepwiseApi): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  const unsubscribe = useFormStore.subscribe((state, previous) => {
    if (state.values === previous.values) return
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void api.saveFormState(formRecord(useFormStore.getState().values)).catch(() => undefined)
    }, SAVE_FORM_AFTER_MS)
  })
  return () => {
    if (timer !== null) clearTimeout(timer)
    unsubscribe()
  }
}

/** Reads again what may have changed while the page was not connected. */
async function resync(api: StepwiseApi): Promise<void> {
  await useAppStore.getState().connect(api)
  await Promise.all([
    useQueueStore.getState().refresh(),
    useHistoryStore.getState().refresh(),
    useLibraryStore.getState().refresh(),
    useLibraryStore.getState().loadDownloads(),
    adoptRunningJob(api)
  ])
}

/**
 * Connects the UI to a backend: subscribes to its events first (so nothing that happens while the
 * rest loads is missed), then reads capabilities, models, the saved form, queue, history and the
 * running job, and puts the default model's settings into a form that was never saved. From then
 * on the form's run plan (T) follows the form, and the form is saved as it changes.
 *
 * @returns the function that ends the event and form subscriptions
 */
export async function bootstrap(api: StepwiseApi & Partial<ConnectionAware>): Promise<() => void> {
  const unsubscribe = routeEvents(api)
  const unsubscribeConnection = api.onConnection?.((state) => {
    useAppStore.getState().setConnection(state)
    if (state === 'connected') void resync(api)
  })
  // Read alongside the models, so the saved form is in place as soon as the picker can be used.
  const savedForm = api.loadFormState().catch(() => null)
  await useAppStore.getState().connect(api)
  const restored = await restoreForm(savedForm)
  const model = defaultModel(useAppStore.getState())
  if (!restored && model !== null && useFormStore.getState().values.modelId === '') {
    useFormStore.getState().applyModel(model)
  }
  const unsubscribeSave = saveFormChanges(api)
  const plan = useRunPlanStore.getState()
  plan.refresh(useFormStore.getState().values)
  const unsubscribeForm = useFormStore.subscribe((form) => plan.refresh(form.values))
  // The input picture and its strength decide T too.
  const unsubscribeInput = useInputImageStore.subscribe(() =>
    plan.refresh(useFormStore.getState().values)
  )
  await Promise.all([
    useQueueStore.getState().refresh(),
    useHistoryStore.getState().refresh(),
    adoptRunningJob(api)
  ])
  return () => {
    unsubscribe()
    unsubscribeConnection?.()
    unsubscribeSave()
    unsubscribeForm()
    unsubscribeInput()
  }
}
