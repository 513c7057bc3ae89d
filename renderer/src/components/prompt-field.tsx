import type { JSX, ReactNode } from 'react'
import { Field, describedBy } from './field'
import { TokenCounter } from './token-counter'

/** Props of {@link PromptField}. */
export interface PromptFieldProps {
  id: string
  label: string
  testId: string
  counterTestId: string
  /** How the token counter names the text ("prompt", "negative prompt"). */
  what: string
  modelId: string
  value: string
  rows: number
  placeholder?: string
  error: string | undefined
  hint?: ReactNode
  onChange: (value: string) => void
}

/** A prompt's text area with its label, hint, validation message and token count. */
export function PromptField(props: PromptFieldProps): JSX.Element {
  const { id, error, hint } = props
  return (
    <Field htmlFor={id} label={props.label} error={error} hint={hint}>
      <textarea
        id={id}
        data-testid={props.testId}
        rows={props.rows}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(id, error, hint)}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <TokenCounter
        testId={props.counterTestId}
        what={props.what}
        modelId={props.modelId}
        text={props.value}
      />
    </Field>
  )
}
