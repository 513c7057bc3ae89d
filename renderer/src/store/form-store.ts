import { create } from 'zustand'
import type { BranchSource, FieldName, FormValues } from '../lib/form-params'
import { valuesFromResult } from '../lib/form-params'
import type { GenerateParams, HistoryEntry, ModelSummary } from '../contract'

/** The generate form's state. */
export interface FormState {
  values: FormValues
  fieldErrors: Partial<Record<FieldName, string>>
  /** The seed of the most recent run (for one-click reuse). */
  lastSeed: number | null
  /** Changes one value and clears the message that field had. */
  set<K extends keyof FormValues>(key: K, value: FormValues[K]): void
  /** Picks a model and takes its defaults for steps, guidance, size and scheduler. */
  applyModel(model: ModelSummary): void
  /** Puts a stored result's parameters back into the form, seed included. */
  restore(entry: HistoryEntry): void
  /**
   * Prefills the form with a run's parameters and marks it as a branch of that run from a
   * step: the next Generate continues it from there with what the form then says.
   */
  branch(
    params: GenerateParams,
    result: Parameters<typeof valuesFromResult>[1] | null,
    source: BranchSource
  ): void
  /** Replaces all values at once (e.g. from pasted A1111 parameters). */
  replaceValues(values: FormValues): void
  setFieldErrors(errors: Partial<Record<FieldName, string>>): void
  rememberSeed(seed: number): void
}

const CUTOFF_FIELDS: ReadonlySet<keyof FormValues> = new Set([
  'cutoffMode',
  'cutoffPercent',
  'cutoffStepNumber'
])
const INTERVAL_FIELDS: ReadonlySet<keyof FormValues> = new Set(['intervalStart', 'intervalEnd'])

/** Form values before any model is known. */
export const INITIAL_VALUES: FormValues = {
  modelId: '',
  prompt: '',
  negativePrompt: '',
  steps: '',
  guidance: '',
  seed: '',
  width: '',
  height: '',
  scheduler: '',
  karras: false,
  algorithmType: '',
  cutoffMode: 'percent',
  cutoffPercent: 100,
  cutoffStepNumber: '',
  intervalStart: 0,
  intervalEnd: 100,
  branchFrom: null,
  stopAfterStep: '',
  keepPreviews: false,
  previewEvery: '1',
  previewMethod: '',
  provider: 'auto'
}

/** The generate form store. */
export const useFormStore = create<FormState>()((set) => ({
  values: INITIAL_VALUES,
  fieldErrors: {},
  lastSeed: null,
  set(key, value) {
    set((state) => {
      const field: FieldName | null = CUTOFF_FIELDS.has(key)
        ? 'cutoff'
        : INTERVAL_FIELDS.has(key)
          ? 'interval'
          : key === 'branchFrom'
            ? 'branch'
            : key === 'stopAfterStep'
              ? 'stopAtStep'
              : key === 'modelId'
                ? 'model'
                : key in state.fieldErrors
                  ? (key as FieldName)
                  : null
      const fieldErrors = { ...state.fieldErrors }
      if (field !== null) delete fieldErrors[field]
      return { values: { ...state.values, [key]: value }, fieldErrors }
    })
  },
  applyModel(model) {
    set((state) => ({
      values: {
        ...state.values,
        modelId: model.id,
        steps: String(model.defaults.numInferenceSteps),
        guidance: String(model.defaults.guidanceScale),
        width: String(model.defaults.width),
        height: String(model.defaults.height),
        scheduler: model.defaults.scheduler,
        algorithmType: '',
        // Each model previews by its own default (tiny where it has a decoder) until one is picked.
        previewMethod: ''
      },
      fieldErrors: {}
    }))
  },
  restore(entry) {
    set((state) => ({
      values: valuesFromResult(entry.params, entry.result, state.values),
      fieldErrors: {}
    }))
  },
  branch(params, result, source) {
    set((state) => {
      const base =
        result === null
          ? {
              ...state.values,
              prompt: params.prompt,
              negativePrompt: params.negativePrompt,
              seed: String(params.seed ?? '')
            }
          : valuesFromResult(params, result, state.values)
      return { values: { ...base, branchFrom: source }, fieldErrors: {} }
    })
  },
  replaceValues(values) {
    set({ values, fieldErrors: {} })
  },
  setFieldErrors(errors) {
    set({ fieldErrors: errors })
  },
  rememberSeed(seed) {
    set({ lastSeed: seed })
  }
}))
