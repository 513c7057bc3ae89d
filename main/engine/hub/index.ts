/**
 * Downloads of ONNX diffusion pipelines from the Hugging Face Hub (or a mirror via
 * `HF_ENDPOINT`): only the files the pipeline needs, resumable, verified, cancellable; and the
 * Hugging Face cache that `fromPretrained('owner/name')` reads and fills (README.md).
 */
export { downloadModel } from './download-model'
export type { DownloadDest, DownloadModelOptions, DownloadResult } from './download-model'
export type { DownloadEvent, PlannedFile } from './download-events'
export { HubError } from './hub-error'
export type { HubErrorCode } from './hub-error'
export { DEFAULT_HUB_ENDPOINT, resolveHubEndpoint } from './hub-endpoint'
export { COMPLETE_MARKER, MANIFEST_FILE, PART_SUFFIX, readDownloadStatus } from './download-state'
export type { CompleteMarker, DownloadManifest, DownloadStatus } from './download-state'
export { selectPipelineFiles, ONNX_COMPONENTS } from './pipeline-files'
export { selectPreviewDecoderFiles } from './preview-decoder-files'
export type { FileSelection, SkipReason } from './pipeline-files'
export type { RepoFile } from './repo-listing'
export type { RetryOptions } from './retry-policy'
export { validateRepoId, validateRevision } from './repo-ref'
export { defaultHubCacheDir, repoCacheDir, snapshotDownload } from './hub-cache'
export type { SnapshotDownloadOptions, SnapshotLocation } from './hub-cache'
