import type { InfotextReading } from '../lib/infotext'
import { readInfotext } from '../lib/infotext'
import { readPngTextChunks } from '../../../shared/png-text'
import { useAppStore } from './app-store'
import { useFormStore } from './form-store'
import { create } from 'zustand'

/** What the last reading of parameters said, shown beside the form's prompt. */
export const usePngInfoStore = create<{ note: string | null }>()(() => ({ note: null }))

/**
 * Spreads A1111 parameters over the form (fields the text has replace the form's, the rest
 * stay; its model is picked when installed) and says what could not be used.
 */
export function applyReading(reading: InfotextReading): string {
  const form = useFormStore.getState()
  const known = useAppStore.getState().models.some((m) => m.id === reading.model)
  form.replaceValues(
    known && reading.model !== null ? { ...reading.values, modelId: reading.model } : reading.values
  )
  const unknownModel =
    reading.model !== null && !known ? [`model ${reading.model} is not installed`] : []
  const problems = [...reading.warnings, ...unknownModel]
  return problems.length === 0
    ? 'Parameters read into the form.'
    : `Read, but: ${problems.join('; ')}`
}

/**
 * A1111's PNG Info: reads the generation parameters a PNG carries (Stepwise's, AUTOMATIC1111's,
 * most tools') into the form. The outcome is shown beside the prompt.
 */
export async function loadParametersFromPng(file: Blob & { name?: string }): Promise<void> {
  const name = file.name ?? 'the file'
  let note: string
  try {
    const chunks = readPngTextChunks(new Uint8Array(await file.arrayBuffer()))
    const text = chunks['parameters']
    const reading = text === undefined ? null : readInfotext(text, useFormStore.getState().values)
    note =
      reading === null
        ? `${name} has no generation parameters (only images saved by Stepwise, AUTOMATIC1111 and similar tools do).`
        : `${name}: ${applyReading(reading)}`
  } catch (error) {
    note = `${name} could not be read: ${error instanceof Error ? error.message : String(error)}`
  }
  usePngInfoStore.setState({ note })
}
