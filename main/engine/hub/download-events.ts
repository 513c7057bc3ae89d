import type { SkipReason } from './pipeline-files'

/** A file the download will fetch (or already has). */
export interface PlannedFile {
  path: string
  size: number
  /** The sha256 it is checked against (LFS files), else null. */
  sha256: string | null
}

/**
 * Everything a download reports, in order: `resolved`, `plan`, then per file `file-start`,
 * `progress`… (`retry`, `file-restart` as they happen) and `file-done`, and finally `complete`.
 * Events are plain data (no functions, no token), so they can cross IPC or a WebSocket as is.
 */
export type DownloadEvent =
  | {
      type: 'resolved'
      repo: string
      revision: string
      /** The commit every file is fetched at. */
      commit: string
    }
  | {
      type: 'plan'
      files: PlannedFile[]
      skipped: { path: string; size: number; reason: SkipReason }[]
      totalBytes: number
      /** Bytes already on disk from an earlier run (finished files and partials). */
      alreadyDoneBytes: number
    }
  | {
      type: 'file-start'
      path: string
      size: number
      /** Where the transfer starts: above 0 when a partial file is resumed. */
      offset: number
    }
  | {
      type: 'progress'
      path: string
      fileDoneBytes: number
      fileTotalBytes: number
      doneBytes: number
      totalBytes: number
      /** Over the last few seconds. */
      bytesPerSecond: number
      /** At the current rate; null while unknown. */
      etaSeconds: number | null
    }
  | {
      type: 'retry'
      /** The file being fetched, or null for the listing requests. */
      path: string | null
      /** 1-based retry number and the bound. */
      retry: number
      retries: number
      delayMs: number
      reason: string
    }
  | {
      type: 'file-restart'
      path: string
      /** Why the partial bytes were thrown away (e.g. the server ignored the Range request). */
      reason: string
    }
  | {
      type: 'file-done'
      path: string
      size: number
      /** What vouched for the bytes besides the size. */
      verifiedBy: 'sha256' | 'git-sha1' | 'size'
      /** True when the file was already complete on disk and nothing was fetched. */
      reused: boolean
    }
  | {
      type: 'complete'
      commit: string
      totalBytes: number
      /** Bytes fetched by this run. */
      downloadedBytes: number
      elapsedMs: number
    }
