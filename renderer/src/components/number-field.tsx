import type { JSX, KeyboardEvent, ReactNode } from 'react'
import { Field, describedBy } from './field'

/** Props of {@link NumberField}. */
export interface NumberFieldProps {
  id: string
  label: string
  testId?: string
  value: string
  onChange(value: string): void
  /** Arrow-key increment (Shift: ten times as much). */
  step: number
  min: number
  max: number
  error?: string | undefined
  hint?: ReactNode
  placeholder?: string
  className?: string
}

/** Rounds away binary noise from repeated decimal steps (0.1 + 0.2). */
function tidy(value: number): string {
  return String(Math.round(value * 1000) / 1000)
}

/**
 * A numeric text field. It is a text input on purpose: whatever is typed stays visible and reaches
 * the shared validation, which then says exactly what is wrong (a number input would silently
 * turn "12a" into an empty value). Arrow keys step the value like a spin button.
 */
export function NumberField(props: NumberFieldProps): JSX.Element {
  const { id, label, testId, value, onChange, step, min, max, error, hint } = props
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return
    const current = Number(value.trim() === '' ? min : value)
    if (!Number.isFinite(current)) return
    event.preventDefault()
    const count = event.shiftKey ? 10 : 1
    // Move to the next point of the step grid in that direction, so 72 becomes 80 for a model
    // whose sizes are multiples of 16 (and 513 + 8 becomes 520 for multiples of 8).
    const at = current / step
    const snapped =
      event.key === 'ArrowUp'
        ? (Math.floor(at + 1e-9) + count) * step
        : (Math.ceil(at - 1e-9) - count) * step
    onChange(tidy(Math.min(max, Math.max(min, snapped))))
  }
  return (
    <Field htmlFor={id} label={label} error={error} hint={hint} className={props.className}>
      <input
        id={id}
        data-testid={testId}
        type="text"
        inputMode={Number.isInteger(step) ? 'numeric' : 'decimal'}
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={props.placeholder}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(id, error, hint)}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
      />
    </Field>
  )
}
