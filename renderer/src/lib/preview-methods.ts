import {
  describePreviewMethod,
  formatPreviewMethod,
  parsePreviewMethod
} from '../../../shared/preview-method'
import type { ModelSummary, PreviewMethodName } from '../contract'

/** One entry of the preview-method picker. */
export interface PreviewMethodOption {
  /** The method's text form (`linear`, `tiny`, `vae`, `vae:N`). */
  value: string
  label: string
  /** Methods this model cannot make (`tiny` without a decoder) are listed but not offered. */
  disabled: boolean
  /** Why it is disabled, or what it costs. */
  title: string
}

/** The VAE intervals the picker offers besides any `vae:N` already chosen. */
const VAE_PRESETS = ['vae:10', 'vae:5', 'vae'] as const

/** What the run will use: the method picked, else the model's default (`tiny` where a decoder is). */
export function effectivePreviewMethod(model: ModelSummary | undefined, picked: string): string {
  if (picked !== '') return picked
  return model?.previews.defaultMethod ?? 'linear'
}

/** The picker's entries for `model`, cheapest first, with `picked` among them. */
export function previewMethodOptions(
  model: ModelSummary | undefined,
  picked: string
): PreviewMethodOption[] {
  const hasTiny = model?.previews.methods.includes('tiny') === true
  const decoder = model?.previews.decoder ?? null
  const offer = model?.previews.offer ?? null
  const values: string[] = ['linear', 'tiny', ...VAE_PRESETS]
  if (picked !== '' && !values.includes(picked)) values.splice(values.length - 1, 0, picked)
  return values.map((value) => {
    const method = parsePreviewMethod(value)
    const text = formatPreviewMethod(method)
    const label = `${text === 'linear' || text === 'tiny' ? '' : `${text} · `}${describePreviewMethod(method)}`
    if (method.name === 'tiny') {
      return {
        value,
        label: hasTiny ? label : `${label} (none for this model)`,
        disabled: !hasTiny,
        title: hasTiny
          ? `Full resolution from ${decoder?.label ?? 'the tiny decoder'}; a few % of a step`
          : offer !== null
            ? `This model has no tiny decoder: get ${offer.name} in the Models panel`
            : 'This model has no tiny decoder (preview_decoder/model.onnx in its folder)'
      }
    }
    return {
      value,
      label,
      disabled: false,
      title:
        method.name === 'linear'
          ? 'Latent colours at 1/8 of the size; well under a millisecond'
          : "The model's own VAE at full resolution: as slow as decoding the final image, on every step it runs"
    }
  })
}

/** How a step's preview was made, for its details: "tiny · 3.1 ms". */
export function describeStepPreview(method: PreviewMethodName | undefined, ms?: number): string {
  if (method === undefined) return 'none'
  if (ms === undefined) return method
  return `${method} · ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`
}
