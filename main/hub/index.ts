/**
 * The app's side of Hub downloads: the `models download` command and the curated lists of ONNX
 * models and preview decoders. The download itself (resumable, verified, cancellable) is the
 * engine's `downloadModel`: other layers import it from the engine's index.
 */

export { KNOWN_ONNX_MODELS, findKnownModel } from './known-models'
export {
  KNOWN_PREVIEW_DECODERS,
  findKnownPreviewDecoder,
  previewDecoderForFamily
} from './known-preview-decoders'
export type { KnownPreviewDecoder, PreviewDecoderFamily } from './known-preview-decoders'
export type { KnownModel, KnownModelFamily } from './known-models'
export {
  runModelsDownload,
  defaultFolderName,
  MODELS_DOWNLOAD_HELP,
  EXIT_CANCELLED
} from './run-models-download'
export type { ModelsDownloadContext, ModelsDownloadIo } from './run-models-download'
