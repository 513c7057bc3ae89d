import type { JSX } from 'react'
import { SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import { SCHEDULER_LABELS } from '../lib/labels'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import type { AlgorithmType, SchedulerClassName } from '../contract'
import { Field, describedBy } from './field'

/** The picker's entries: every class, plus DPM++ 2M SDE (DPM-Solver with sde-dpmsolver++). */
const SDE_VALUE = 'DPMSolverMultistepScheduler|sde-dpmsolver++'

function pickerValue(
  scheduler: SchedulerClassName | '',
  algorithmType: AlgorithmType | ''
): string {
  return scheduler === 'DPMSolverMultistepScheduler' && algorithmType === 'sde-dpmsolver++'
    ? SDE_VALUE
    : scheduler
}

function parsePickerValue(value: string): {
  scheduler: SchedulerClassName | ''
  algorithmType: AlgorithmType | ''
} {
  if (value === SDE_VALUE) {
    return { scheduler: 'DPMSolverMultistepScheduler', algorithmType: 'sde-dpmsolver++' }
  }
  return { scheduler: value as SchedulerClassName | '', algorithmType: '' }
}

/** The scheduler (sampler, with A1111's names) and its Karras-sigmas option. */
export function SchedulerField(): JSX.Element {
  const scheduler = useFormStore((s) => s.values.scheduler)
  const algorithmType = useFormStore((s) => s.values.algorithmType)
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
          value={pickerValue(scheduler, algorithmType)}
          aria-describedby={describedBy('scheduler', error, undefined)}
          onChange={(e) => {
            const picked = parsePickerValue(e.target.value)
            set('scheduler', picked.scheduler)
            set('algorithmType', picked.algorithmType)
          }}
        >
          <option value="">Model default</option>
          {SCHEDULER_CLASS_NAMES.map((name) => [
            <option key={name} value={name} title={name}>
              {SCHEDULER_LABELS[name]}
              {name === modelDefault ? ' · default' : ''}
            </option>,
            name === 'DPMSolverMultistepScheduler' ? (
              <option
                key={SDE_VALUE}
                value={SDE_VALUE}
                title="DPMSolverMultistepScheduler, algorithm_type sde-dpmsolver++"
              >
                DPM++ 2M SDE
              </option>
            ) : null
          ])}
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
