/**
 * Downloads of ONNX diffusion pipelines from the Hugging Face Hub (or a mirror / our test hub
 * via `HF_ENDPOINT`): only the files the pipeline needs, resumable, verified, cancellable. A
 * plain Node library: it imports nothing from Electron.
 *
 * ```ts
 * const result = await downloadModel({
 *   repo: 'onnx-community/stable-diffusion-v1-5-ONNX', dest: '/models/sd15',
 *   accessToken: process.env.HF_TOKEN, signal, onEvent: (e) => { if (e.type === 'progress') … }
 * })
 * ```
 */

export { downloadModel } from './download-model'
export type { DownloadModelOptions, DownloadResult } from './download-model'
export type { DownloadEvent, PlannedFile } from './download-events'
export { HubError } from './hub-error'
export type { HubErrorCode } from './hub-error'
export { DEFAULT_HUB_ENDPOINT, resolveHubEndpoint } from './hub-endpoint'
export { COMPLETE_MARKER, MANIFEST_FILE, PART_SUFFIX, readDownloadStatus } from './download-state'
export type { CompleteMarker, DownloadManifest, DownloadStatus } from './download-state'
export { selectPipelineFiles, ONNX_COMPONENTS } from './pipeline-files'
export type { FileSelection, SkipReason } from './pipeline-files'
export type { RepoFile } from './repo-listing'
export type { RetryOptions } from './retry-policy'
export { selectPreviewDecoderFiles } from './preview-decoder-files'
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
