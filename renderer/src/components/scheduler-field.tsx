import type { JSX } from 'react'
import { SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import { SCHEDULER_LABELS } from '../lib/labels'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import type { SchedulerClassName } from '../contract'
import { Field, describedBy } from './field'

/** The scheduler (sampler) and its Karras-sigmas option. */
export function SchedulerField(): JSX.Element {
  const scheduler = useFormStore((s) => s.values.scheduler)
  const karras = useFormStore((s) => s.values.karras)
  const modelId = useFormStore((s) => s.values.modelId)
  const error = useFormStore((s) => s.fieldErrors.scheduler)
  const set = useFormStore((s) => s.set)
  const modelDefault = useAppStore(
    (s) => s.models.find((m) => m.id === modelId)?.defaults.scheduler
  )
  return (
    <div className="field-row">
      <Field htmlFor="scheduler" label="Scheduler" error={error} className="grow">
        <select
          id="scheduler"
          data-testid="scheduler-select"
          value={scheduler}
          aria-describedby={describedBy('scheduler', error, undefined)}
          onChange={(e) => set('scheduler', e.target.value as SchedulerClassName | '')}
        >
          <option value="">Model default</option>
          {SCHEDULER_CLASS_NAMES.map((name) => (
            <option key={name} value={name}>
              {SCHEDULER_LABELS[name]}
              {name === modelDefault ? ' · default' : ''}
            </option>
          ))}
        </select>
      </Field>
      <label className="check align-end">
        <input
          type="checkbox"
          data-testid="karras-checkbox"
          checked={karras}
          onChange={(e) => set('karras', e.target.checked)}
        />
        Karras sigmas
      </label>
    </div>
  )
}
