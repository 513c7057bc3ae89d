import type { ChangeEvent, JSX } from 'react'
import { looksLikeInfotext, readInfotext } from '../lib/infotext'
import { useFormStore } from '../store/form-store'
import { applyReading, loadParametersFromPng, usePngInfoStore } from '../store/png-parameters'

/**
 * A1111's "read generation parameters" and "PNG Info": paste a PNG's parameters text into the
 * prompt and one click spreads it over the form, or load (or drop on the window) a PNG and its
 * parameters are read from the file.
 */
export function InfotextButton(): JSX.Element {
  const prompt = useFormStore((s) => s.values.prompt)
  const note = usePngInfoStore((s) => s.note)
  const available = looksLikeInfotext(prompt)
  const read = (): void => {
    const form = useFormStore.getState()
    const reading = readInfotext(form.values.prompt, form.values)
    if (reading === null) return
    usePngInfoStore.setState({ note: applyReading(reading) })
  }
  const onFile = (event: ChangeEvent<HTMLInputElement>): void => {
    const file = event.target.files?.[0]
    // The same file picked twice must be read twice.
    event.target.value = ''
    if (file !== undefined) void loadParametersFromPng(file)
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
      <label className="link-button file-button" title="Or drop a PNG anywhere on the window">
        Load from PNG…
        <input
          type="file"
          accept="image/png"
          className="visually-hidden"
          data-testid="png-info-input"
          onChange={onFile}
        />
      </label>
      {note !== null && (
        <span role="status" className="field-hint" data-testid="png-info-status">
          {note}
        </span>
      )}
    </span>
  )
}
