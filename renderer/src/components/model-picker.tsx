import type { JSX } from 'react'
import { formatBytes } from '../../../shared/format-bytes'
import { SCHEDULER_LABELS } from '../lib/labels'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { Field, describedBy } from './field'

/** Chooses the model and shows its family and defaults; picking one applies its defaults. */
export function ModelPicker(): JSX.Element {
  const models = useAppStore((s) => s.models)
  const modelsError = useAppStore((s) => s.modelsError)
  const modelId = useFormStore((s) => s.values.modelId)
  const error = useFormStore((s) => s.fieldErrors.model)
  const applyModel = useFormStore((s) => s.applyModel)
  const model = models.find((m) => m.id === modelId)
  const hint =
    modelsError !== null ? (
      `Models unavailable: ${modelsError}`
    ) : model === undefined ? (
      'No model yet: add a model folder or download one (Models and Downloads, right).'
    ) : (
      <>
        {model.familyLabel} · {model.precision} · {model.defaults.width}×{model.defaults.height} ·{' '}
        {model.defaults.numInferenceSteps} steps · CFG {model.defaults.guidanceScale}
        {model.defaults.cfg ? '' : ' (off)'} · {SCHEDULER_LABELS[model.defaults.scheduler]} ·{' '}
        {formatBytes(model.sizeBytes)} on disk
        {model.builtIn ? ' · built in' : ` · ${model.source}`}{' '}
        {model.precisionNote !== undefined && (
          <span className="precision-note" data-testid="model-precision-note">
            {model.precisionNote}.{' '}
          </span>
        )}
        <button type="button" className="link-button" onClick={() => applyModel(model)}>
          Reset to model defaults
        </button>
      </>
    )
  return (
    <Field htmlFor="model" label="Model" error={error} hint={hint}>
      <select
        id="model"
        data-testid="model-select"
        value={modelId}
        disabled={models.length === 0}
        aria-describedby={describedBy('model', error, hint)}
        onChange={(e) => {
          const picked = models.find((m) => m.id === e.target.value)
          if (picked !== undefined) applyModel(picked)
        }}
      >
        {models.length === 0 && <option value="">No models</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name} ({m.familyLabel})
          </option>
        ))}
      </select>
    </Field>
  )
}
