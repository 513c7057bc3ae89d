import type { DownloadSummary } from '../contract'
import { formatBytes } from '../../../shared/format-bytes'

/** Seconds as people read an ETA: 45 s, 3 min 05 s, 1 h 02 min. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** One line for a download: "1.2 GB of 4.3 GB · 35 MB/s · 1 min 30 s left". */
export function describeDownload(d: DownloadSummary): string {
  switch (d.state) {
    case 'done': {
      const size = `done: ${formatBytes(d.totalBytes ?? d.doneBytes)}`
      if (d.kind === 'preview-decoder') {
        const users = d.previewFor ?? []
        return `${size}, tiny previews for ${users.length === 0 ? 'the models of its family' : users.join(', ')}`
      }
      return `${size}${d.modelId === undefined ? '' : `, in the library as ${d.modelId}`}`
    }
    case 'failed':
    case 'cancelled':
      return d.message ?? d.state
    default: {
      if (d.totalBytes === null) return 'listing the repository…'
      const parts = [`${formatBytes(d.doneBytes)} of ${formatBytes(d.totalBytes)}`]
      if (d.bytesPerSecond !== null) parts.push(`${formatBytes(d.bytesPerSecond)}/s`)
      if (d.etaSeconds !== null) parts.push(`${formatEta(d.etaSeconds)} left`)
      return parts.join(' · ')
    }
  }
}
