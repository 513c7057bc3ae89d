import type { JSX, ReactNode } from 'react'

/** Props of {@link Field}. */
export interface FieldProps {
  /** The id of the control the label names. */
  htmlFor: string
  label: string
  /** A validation message; shown under the control and announced with it. */
  error?: string | undefined
  /** A short help text. */
  hint?: ReactNode
  className?: string
  children: ReactNode
}

/** The id of a field's message element, for the control's `aria-describedby`. */
export function describedBy(
  id: string,
  error: string | undefined,
  hint: unknown
): string | undefined {
  const ids = [error !== undefined ? `${id}-error` : null, hint !== undefined ? `${id}-hint` : null]
  const joined = ids.filter((x) => x !== null).join(' ')
  return joined === '' ? undefined : joined
}

/** A labelled form row with its hint and validation message. */
export function Field({
  htmlFor,
  label,
  error,
  hint,
  className,
  children
}: FieldProps): JSX.Element {
  return (
    <div className={`field${error !== undefined ? ' has-error' : ''} ${className ?? ''}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint !== undefined && (
        <p id={`${htmlFor}-hint`} className="field-hint">
          {hint}
        </p>
      )}
      {error !== undefined && (
        <p id={`${htmlFor}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  )
}
