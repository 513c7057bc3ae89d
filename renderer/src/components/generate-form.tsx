import type { FormEvent, JSX } from 'react'
import { LIMITS } from '../../../shared/params'
import { MAX_BATCH_COUNT, sizeHint } from '../lib/form-params'
import type { FieldName } from '../lib/form-params'
import { defaultModel, useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { generate } from '../store/run-actions'
import { BranchMarker } from './branch-marker'
import { CfgCutoffControl } from './cfg-cutoff-control'
import { InfotextButton } from './infotext-button'
import { InputImagePanel } from './input-image-panel'
import { ModelPicker } from './model-picker'
import { NumberField } from './number-field'
import { PromptField } from './prompt-field'
import { ProviderField } from './provider-field'
import { SchedulerField } from './scheduler-field'
import { SeedField } from './seed-field'

/** The form's model, else the default one. */
function defaultModelFor(modelId: string): ReturnType<typeof defaultModel> {
  const app = useAppStore.getState()
  return app.models.find((m) => m.id === modelId) ?? defaultModel(app)
}

/** The form's number fields of one shape: fixed limits, a value as typed, one message. */
type PlainNumberField =
  'steps' | 'guidance' | 'stopAfterStep' | 'batchCount' | 'imagesPerPrompt' | 'previewEvery'

/** How one of {@link PlainNumberField} shows and steps. */
interface NumberFieldSpec {
  id: string
  label: string
  testId: string
  step: number
  min: number
  max: number
  /** The field whose validation message it shows. */
  error: FieldName
  hint?: string
  placeholder?: string
  className?: string
}

const NUMBER_FIELDS: Record<PlainNumberField, NumberFieldSpec> = {
  steps: {
    id: 'steps',
    label: 'Steps',
    testId: 'steps-input',
    step: 1,
    min: LIMITS.steps.min,
    max: LIMITS.steps.max,
    error: 'steps'
  },
  guidance: {
    id: 'guidance',
    label: 'Guidance (CFG)',
    testId: 'guidance-input',
    step: 0.5,
    min: LIMITS.guidanceScale.min,
    max: LIMITS.guidanceScale.max,
    error: 'guidance'
  },
  stopAfterStep: {
    id: 'stop-after-step',
    label: 'Stop after step',
    testId: 'stop-at-step-input',
    placeholder: 'run every step',
    step: 1,
    min: 1,
    max: LIMITS.steps.max * 2,
    error: 'stopAtStep',
    hint: "stop there and keep the run's state, to continue it later"
  },
  batchCount: {
    id: 'batch-count',
    label: 'Batch count',
    testId: 'batch-count-input',
    step: 1,
    min: 1,
    max: MAX_BATCH_COUNT,
    error: 'batchCount',
    hint: 'runs, seeds s, s+1, …'
  },
  imagesPerPrompt: {
    id: 'images-per-prompt',
    label: 'Images per prompt',
    testId: 'images-per-prompt-input',
    step: 1,
    min: LIMITS.numImagesPerPrompt.min,
    max: LIMITS.numImagesPerPrompt.max,
    error: 'imagesPerPrompt',
    hint: 'in one batch'
  },
  previewEvery: {
    id: 'preview-every',
    label: 'Preview every',
    testId: 'preview-every-input',
    step: 1,
    min: LIMITS.previewEvery.min,
    max: LIMITS.previewEvery.max,
    error: 'previewEvery',
    hint: 'steps (1: every step)',
    className: 'narrow'
  }
}

/** The generation parameters: the left-hand column. */
export function GenerateForm(): JSX.Element {
  const values = useFormStore((s) => s.values)
  const errors = useFormStore((s) => s.fieldErrors)
  const set = useFormStore((s) => s.set)
  // The model's size multiple (16 for the shipped model, 64 for SD 1.x): the size fields step by
  // it and say it, and Generate refuses other sizes next to the field.
  const sizeMultiple = useAppStore(
    (s) => s.models.find((m) => m.id === values.modelId)?.defaults.sizeMultiple
  )
  const sizeStep = sizeMultiple ?? LIMITS.size.multiple
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault()
    void generate()
  }
  const sizeField = (key: 'width' | 'height', label: string): JSX.Element => (
    <NumberField
      id={key}
      label={label}
      testId={`${key}-input`}
      value={values[key]}
      step={sizeStep}
      min={sizeStep}
      max={LIMITS.size.max}
      error={errors[key]}
      hint={sizeHint(sizeMultiple)}
      onChange={(v) => set(key, v)}
    />
  )
  const numberField = (key: PlainNumberField): JSX.Element => {
    const { error, ...spec } = NUMBER_FIELDS[key]
    return (
      <NumberField
        {...spec}
        value={values[key]}
        error={errors[error]}
        onChange={(v) => set(key, v)}
      />
    )
  }
  const swap = (): void => {
    set('width', values.height)
    set('height', values.width)
  }
  return (
    <form
      id="generate-form"
      className="generate-form"
      aria-label="Generation parameters"
      noValidate
      onSubmit={onSubmit}
    >
      <ModelPicker />
      <BranchMarker />
      <PromptField
        id="prompt"
        label="Prompt"
        testId="prompt-input"
        counterTestId="prompt-token-count"
        what="prompt"
        modelId={values.modelId}
        value={values.prompt}
        rows={3}
        placeholder="a red circle on a blue background"
        error={errors.prompt}
        hint={<InfotextButton />}
        onChange={(v) => set('prompt', v)}
      />
      <PromptField
        id="negative-prompt"
        label="Negative prompt"
        testId="negative-prompt-input"
        counterTestId="negative-prompt-token-count"
        what="negative prompt"
        modelId={values.modelId}
        value={values.negativePrompt}
        rows={2}
        error={errors.negativePrompt}
        onChange={(v) => set('negativePrompt', v)}
      />
      <InputImagePanel />
      <div className="field-row">
        {numberField('steps')}
        {numberField('guidance')}
      </div>
      <CfgCutoffControl />
      {numberField('stopAfterStep')}
      <SeedField />
      <div className="field-row size-row">
        {sizeField('width', 'Width')}
        <button
          type="button"
          className="icon-button swap-button"
          aria-label="Swap width and height"
          title="Swap width and height"
          onClick={swap}
        >
          ⇄
        </button>
        {sizeField('height', 'Height')}
      </div>
      <SchedulerField />
      <div className="field-row batch-row">
        {numberField('batchCount')}
        {numberField('imagesPerPrompt')}
      </div>
      <ProviderField />
      <div className="field-row previews-row">
        {numberField('previewEvery')}
        <label className="check align-end">
          <input
            type="checkbox"
            data-testid="keep-previews-checkbox"
            checked={values.keepPreviews}
            onChange={(e) => set('keepPreviews', e.target.checked)}
          />
          Keep every step&apos;s preview in history
        </label>
      </div>
      <div className="button-row">
        <button
          type="button"
          data-testid="form-reset"
          title="Every field back to the model's defaults, with an empty prompt"
          onClick={() => useFormStore.getState().reset(defaultModelFor(values.modelId))}
        >
          Reset form
        </button>
      </div>
    </form>
  )
}
