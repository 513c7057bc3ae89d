import type { DownloadRequest, DownloadSummary, KnownModelInfo } from '../../shared/contract'

/**
 * What the API needs from the Hub downloads (main/model-library/download-manager.ts implements it over
 * the engine's downloadModel). Kept as an interface so front ends without downloads (tests, tools) can leave it
 * out; their download operations then answer `unavailable`.
 */
export interface DownloadService {
  known(): KnownModelInfo[]
  start(request: DownloadRequest): Promise<DownloadSummary>
  cancel(id: string): Promise<DownloadSummary>
  list(): DownloadSummary[]
  /** Cancels running downloads (partial files stay for a resume). */
  close(): Promise<void>
}
