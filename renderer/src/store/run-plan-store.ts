import { create } from 'zustand'
import type { GenerateParamsInput } from '../contract'
import type { FormValues } from '../lib/form-params'
import { parseNumberField } from '../lib/form-params'
import { latestWinsCaller } from '../lib/latest-wins-caller'
import { useAppStore } from './app-store'
import { useInputImageStore } from './input-image-store'

/**
 * T of the run the form describes, as main plans it (`planRun`): the loop's timestep count
 * depends on the model's scheduler config (PNDM with `skip_prk_steps` runs N + 1), which only
 * main reads. The CFG-cutoff control turns its slider into a step index against it before a run.
 */
export interface RunPlanState {
  /** The model, steps, scheduler and Karras setting the plan was made for. */
  key: string | null
  /** T for `key`, or null while unknown (not asked yet, or the settings are not valid). */
  numTimesteps: number | null
  /** Asks main again when the settings that decide T changed. */
  refresh(values: FormValues): void
}

/**
 * What decides T; the rest of the form (prompt, size, cutoff) does not change it. With an input
 * picture, its strength does: an image run takes only the timesteps from where it enters.
 */
function planInput(values: FormValues): GenerateParamsInput | null {
  if (values.modelId === '') return null
  const steps = parseNumberField(values.steps)
  if (steps !== undefined && typeof steps !== 'number') return null
  const { picture, strength } = useInputImageStore.getState()
  return {
    ...(picture === null ? {} : { initImage: picture.imageId, strength }),
    prompt: '',
    modelId: values.modelId,
    useKarrasSigmas: values.karras,
    ...(steps === undefined ? {} : { numInferenceSteps: steps }),
    ...(values.scheduler === '' ? {} : { scheduler: values.scheduler })
  }
}

const askPlan = latestWinsCaller(
  async ({ input }: { key: string; input: GenerateParamsInput }) => {
    const api = useAppStore.getState().api
    if (api === null) throw new Error('Not connected to the Stepwise engine.')
    return api.planRun(input)
  },
  (plan, { key }) => {
    if (useRunPlanStore.getState().key === key) {
      useRunPlanStore.setState({ numTimesteps: plan.numTimesteps })
    }
  },
  // Settings main refuses are reported by the form when it is sent; T stays unknown until then.
  () => undefined
)

/** The form's run plan. */
export const useRunPlanStore = create<RunPlanState>()((set, get) => ({
  key: null,
  numTimesteps: null,
  refresh(values) {
    const input = planInput(values)
    const key = input === null ? null : JSON.stringify(input)
    if (key === get().key) return
    set({ key, numTimesteps: null })
    if (input !== null && key !== null) askPlan({ key, input })
  }
}))
