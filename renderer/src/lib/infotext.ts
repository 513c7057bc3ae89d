import { parseA1111Parameters } from '../../../shared/a1111-parameters'
import type { FormValues } from './form-params'

/** Whether a text looks like AUTOMATIC1111 "parameters" (its last line has `Steps: …`). */
export function looksLikeInfotext(text: string): boolean {
  return /(^|\n)Steps: \d/.test(text)
}

/** The form after reading A1111 parameters, and what could not be understood. */
export interface InfotextReading {
  values: FormValues
  /** The model the text names (a folder name, which is also Stepwise's model id), if any. */
  model: string | null
  warnings: string[]
}

/**
 * Fills the form from pasted A1111 "parameters" (PNG Info, Civitai, Stepwise's own PNGs), like
 * A1111's "read generation parameters" button: fields the text has replace the form's, the rest
 * stay. Returns null when the text is not parameters.
 */
export function readInfotext(text: string, current: FormValues): InfotextReading | null {
  if (!looksLikeInfotext(text)) return null
  const parsed = parseA1111Parameters(text)
  const p = parsed.params
  const cutoff = p.cfgCutoff ?? null
  const values: FormValues = {
    ...current,
    prompt: parsed.prompt,
    negativePrompt: parsed.negativePrompt,
    steps: p.steps === undefined ? current.steps : String(p.steps),
    guidance: p.guidanceScale === undefined ? current.guidance : String(p.guidanceScale),
    seed: p.seed === undefined ? current.seed : String(p.seed),
    width: p.width === undefined ? current.width : String(p.width),
    height: p.height === undefined ? current.height : String(p.height),
    scheduler: p.scheduler ?? current.scheduler,
    karras: p.useKarrasSigmas ?? current.karras,
    // A named sampler without an algorithm type runs its config's own.
    algorithmType: p.algorithmType ?? (p.scheduler === undefined ? current.algorithmType : ''),
    cutoffMode: cutoff !== null && 'stepIndex' in cutoff ? 'step' : 'percent',
    cutoffPercent: cutoff !== null && 'ratio' in cutoff ? Math.round(cutoff.ratio * 100) : 100,
    cutoffStepNumber:
      cutoff !== null && 'stepIndex' in cutoff
        ? String(cutoff.stepIndex + 1)
        : current.cutoffStepNumber
  }
  return { values, model: p.model ?? null, warnings: parsed.warnings }
}
