import { dirname } from 'node:path'
import type { ModelFamily, ModelPreviews, PreviewDecoderInfo } from '../../shared/contract'
import type { PreviewDecoderSource } from '../engine'
import { previewDecoderForFamily } from '../hub'
import type { ShelvedDecoder } from './preview-decoder-shelf'

/**
 * How a model previews its steps, as the model summary reports it: every model has `linear` and
 * `vae`; `tiny` needs a TAESD-class decoder — the folder's own `preview_decoder/model.onnx`, else a
 * downloaded TAESD of its family — and is then the default, as the engine's own default is.
 */
export function modelPreviews(
  family: ModelFamily,
  own: PreviewDecoderSource | null,
  attached: ShelvedDecoder | null = null
): ModelPreviews {
  const decoder: PreviewDecoderInfo | null =
    own !== null
      ? { source: 'model', label: own.label, path: dirname(own.file) }
      : attached !== null
        ? {
            source: 'downloaded',
            label: `${attached.known.name} (${attached.repo})`,
            path: attached.path,
            repo: attached.repo
          }
        : null
  const known = decoder === null ? previewDecoderForFamily(family) : undefined
  return {
    methods: decoder === null ? ['linear', 'vae'] : ['linear', 'tiny', 'vae'],
    defaultMethod: decoder === null ? 'linear' : 'tiny',
    decoder,
    offer:
      known === undefined
        ? null
        : {
            key: known.key,
            name: known.name,
            repo: known.repo,
            approxDownloadMB: known.approxDownloadMB
          }
  }
}

/**
 * The summary's previews with a downloaded decoder attached when the model has none of its own;
 * models with their own decoder, and models no downloaded decoder fits, are returned as they are.
 */
export function attachDecoder(
  previews: ModelPreviews,
  family: ModelFamily,
  attached: ShelvedDecoder | null
): ModelPreviews {
  if (previews.decoder?.source === 'model' || attached === null) return previews
  return modelPreviews(family, null, attached)
}
