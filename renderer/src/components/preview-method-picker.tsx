import type { JSX } from 'react'
import { effectivePreviewMethod, previewMethodOptions } from '../lib/preview-methods'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'

/**
 * How the next run makes its step previews: linear (latent colours), the tiny decoder (full
 * resolution, where the model has one; its default then) or the model's VAE every N steps. The
 * choice goes with the next Generate; picking another model goes back to that model's default.
 */
export function PreviewMethodPicker(): JSX.Element {
  const models = useAppStore((s) => s.models)
  const modelId = useFormStore((s) => s.values.modelId)
  const picked = useFormStore((s) => s.values.previewMethod)
  const error = useFormStore((s) => s.fieldErrors.previewMethod)
  const set = useFormStore((s) => s.set)
  const model = models.find((m) => m.id === modelId)
  const value = effectivePreviewMethod(model, picked)
  const options = previewMethodOptions(model, picked)
  const current = options.find((o) => o.value === value)
  return (
    <label className="check small preview-method" title={current?.title}>
      Previews
      <select
        data-testid="preview-method-select"
        value={value}
        aria-invalid={error === undefined ? undefined : true}
        onChange={(e) => set('previewMethod', e.target.value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled} title={o.title}>
            {o.label}
            {model !== undefined && o.value === model.previews.defaultMethod ? ' (default)' : ''}
          </option>
        ))}
      </select>
      {error !== undefined && (
        <span className="field-error" role="alert" data-testid="preview-method-error">
          {error}
        </span>
      )}
    </label>
  )
}
