import type { StepwiseApi } from '../contract'
import { defaultModel, useAppStore } from './app-store'
import { routeEvents } from './event-router'
import { useFormStore } from './form-store'
import { useHistoryStore } from './history-store'
import { useInputImageStore } from './input-image-store'
import { useQueueStore } from './queue-store'
import { useRunPlanStore } from './run-plan-store'

/**
 * Connects the UI to a backend: subscribes to its events first (so nothing that happens while the
 * rest loads is missed), then reads capabilities, models, queue and history, and puts the default
 * model's settings into the form. From then on the form's run plan (T) follows the form.
 *
 * @returns the function that ends the event and form subscriptions
 */
export async function bootstrap(api: StepwiseApi): Promise<() => void> {
  const unsubscribe = routeEvents(api)
  await useAppStore.getState().connect(api)
  const model = defaultModel(useAppStore.getState())
  if (model !== null && useFormStore.getState().values.modelId === '') {
    useFormStore.getState().applyModel(model)
  }
  const plan = useRunPlanStore.getState()
  plan.refresh(useFormStore.getState().values)
  const unsubscribeForm = useFormStore.subscribe((form) => plan.refresh(form.values))
  // The input picture and its strength decide T too.
  const unsubscribeInput = useInputImageStore.subscribe(() =>
    plan.refresh(useFormStore.getState().values)
  )
  await Promise.all([useQueueStore.getState().refresh(), useHistoryStore.getState().refresh()])
  return () => {
    unsubscribe()
    unsubscribeForm()
    unsubscribeInput()
  }
}
