import type { ModelFamily, ModelPrecision } from './models'

/** Hub downloads: the curated repositories, what to download, and a download's progress. */

/** A curated Hub repository offered in the downloads panel. */
export interface KnownModelInfo {
  /**
   * `model`: a diffusion pipeline (joins the library); `preview-decoder`: a TAESD decoder for
   * tiny previews (attached to the models of `previewFamilies`). Absent: a model.
   */
  kind?: 'model' | 'preview-decoder'
  /** Preview decoders: the model families whose latents it decodes. */
  previewFamilies?: ModelFamily[]
  key: string
  name: string
  repo: string
  revision: string
  familyLabel: string
  precision: ModelPrecision
  approxDownloadGB: number
  /** Set when the export only runs on this provider (e.g. CUDA-only fused operators). */
  requiresProvider: string | null
  note: string
}

/** What to download: a curated key, or a repository (and revision) typed in. */
export interface DownloadRequest {
  /** Repository id, e.g. `onnx-community/stable-diffusion-v1-5-ONNX`. */
  repo: string
  /** Branch, tag or commit; default `main`. */
  revision?: string
  /** Access token for gated repositories: used for this download only, never stored or logged. */
  token?: string
}

/** Lifecycle of a download. */
export type DownloadState = 'running' | 'done' | 'failed' | 'cancelled'

/** A download as the downloads panel shows it. */
export interface DownloadSummary {
  /** Opaque id (never a path). */
  id: string
  repo: string
  revision: string
  /** Destination folder. */
  dest: string
  state: DownloadState
  doneBytes: number
  /** Null until the file listing is known. */
  totalBytes: number | null
  bytesPerSecond: number | null
  etaSeconds: number | null
  /** The file being fetched now. */
  currentFile: string | null
  /** Failed: why (never the token). Cancelled: partial files are kept for a resume. */
  message?: string
  /** Done: the model's id in the library. */
  modelId?: string
  /** `preview-decoder`: a known TAESD decoder (see {@link KnownModelInfo}); absent: a model. */
  kind?: 'model' | 'preview-decoder'
  /** Done preview decoders: the ids of the models that use it now. */
  previewFor?: string[]
  /**
   * Running: the last attempt failed and the download waits to try again (cleared once data
   * flows again), so a stalled download says so while it waits.
   */
  retry?: DownloadRetry
}

/** A retry a download is waiting for. */
export interface DownloadRetry {
  /** 1-based retry number, and how many are allowed. */
  attempt: number
  of: number
  /** Why the last attempt failed. */
  reason: string
  /** When the next attempt starts (epoch ms). */
  at: number
}
