import { useState } from 'react'
import type { JSX } from 'react'
import { looksLikeInfotext, readInfotext } from '../lib/infotext'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'

/**
 * A1111's "read generation parameters" button: paste a PNG's parameters text (from A1111's PNG
 * Info, Civitai or a Stepwise image) into the prompt and one click spreads it over the form.
 */
export function InfotextButton(): JSX.Element {
  const prompt = useFormStore((s) => s.values.prompt)
  const [note, setNote] = useState<string | null>(null)
  const available = looksLikeInfotext(prompt)
  const read = (): void => {
    const form = useFormStore.getState()
    const reading = readInfotext(form.values.prompt, form.values)
    if (reading === null) return
    const known = useAppStore.getState().models.some((m) => m.id === reading.model)
    form.replaceValues(
      known && reading.model !== null
        ? { ...reading.values, modelId: reading.model }
        : reading.values
    )
    const unknownModel =
      reading.model !== null && !known ? [`model ${reading.model} is not installed`] : []
    const problems = [...reading.warnings, ...unknownModel]
    setNote(
      problems.length === 0 ? 'Parameters read into the form.' : `Read, but: ${problems.join('; ')}`
    )
  }
  return (
    <span className="infotext">
      <button
        type="button"
        className="link-button"
        data-testid="read-parameters"
        disabled={!available}
        title="Paste A1111 parameters (PNG Info) into the prompt, then read them into the form"
        onClick={read}
      >
        Read pasted A1111 parameters
      </button>
      {note !== null && (
        <span role="status" className="field-hint">
          {note}
        </span>
      )}
    </span>
  )
}
