/**
 * The app's side of Hub downloads: the `models download` command and the curated list of ONNX
 * models. The download itself (resumable, verified, cancellable) is the engine's `downloadModel`,
 * re-exported here for the app's other layers.
 */

export {
  downloadModel,
  HubError,
  DEFAULT_HUB_ENDPOINT,
  resolveHubEndpoint,
  COMPLETE_MARKER,
  MANIFEST_FILE,
  PART_SUFFIX,
  readDownloadStatus,
  selectPipelineFiles,
  ONNX_COMPONENTS,
  selectPreviewDecoderFiles
} from '../engine'
export type {
  DownloadModelOptions,
  DownloadResult,
  DownloadEvent,
  PlannedFile,
  HubErrorCode,
  CompleteMarker,
  DownloadManifest,
  DownloadStatus,
  FileSelection,
  SkipReason,
  RepoFile,
  RetryOptions
} from '../engine'
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
