import type { FormStateRecord } from '../contract'
import { PROVIDER_NAMES, SCHEDULER_CLASS_NAMES, ALGORITHM_TYPES } from '../../../shared/params'
import type { FormValues } from './form-params'

/**
 * The form as main keeps it between reloads and restarts (`saveFormState`): every field as
 * typed. Read back field by field: a value of the wrong kind, an unknown scheduler or provider,
 * or a field this version does not have is left out, so an older or damaged record never
 * breaks the form.
 */

/**
 * The record saved for `values`. A Branch marker is left out: it names a run's step for the next
 * Generate only (a job's steps are gone after a restart).
 */
export function formRecord(values: FormValues): FormStateRecord {
  const { branchFrom: _branch, ...saved } = values
  return saved
}

const CHOICES: Partial<Record<keyof FormValues, readonly string[]>> = {
  scheduler: ['', ...SCHEDULER_CLASS_NAMES],
  algorithmType: ['', ...ALGORITHM_TYPES],
  provider: PROVIDER_NAMES,
  cutoffMode: ['percent', 'step']
}

/** `current` with every field of `record` that fits it. */
export function valuesFromRecord(record: FormStateRecord, current: FormValues): FormValues {
  const out: Record<string, unknown> = { ...current }
  for (const key of Object.keys(current) as (keyof FormValues)[]) {
    const value = record[key]
    if (value === undefined || typeof value !== typeof current[key]) continue
    const allowed = CHOICES[key]
    if (allowed !== undefined && !allowed.includes(value as string)) continue
    const percent = key === 'cutoffPercent' || key === 'intervalStart' || key === 'intervalEnd'
    if (percent && !(Number(value) >= 0 && Number(value) <= 100)) continue
    out[key] = value
  }
  return out as unknown as FormValues
}
