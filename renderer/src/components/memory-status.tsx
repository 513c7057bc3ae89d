import { useEffect } from 'react'
import type { JSX } from 'react'
import { formatBytes } from '../../../shared/format-bytes'
import { useAppStore } from '../store/app-store'
import { useLibraryStore } from '../store/library-store'

/** How often the status bar asks for the inference process's memory while the app is open. */
const REFRESH_MS = 10_000

/**
 * The inference process's resident memory (onnxruntime's native memory included) and which
 * model it holds, as that process reports it; refreshed after each job and every few seconds.
 */
export function MemoryStatus(): JSX.Element | null {
  const api = useAppStore((s) => s.api)
  const models = useAppStore((s) => s.models)
  const status = useLibraryStore((s) => s.status)
  const refresh = useLibraryStore((s) => s.refreshStatus)
  useEffect(() => {
    if (api === null) return
    void refresh()
    const timer = setInterval(() => void refresh(), REFRESH_MS)
    return () => clearInterval(timer)
  }, [api, refresh])
  if (status === null) return null
  if (!status.running || status.rssBytes === null) {
    return (
      <p data-testid="memory-status">
        Inference process: not started (it starts with the first run)
      </p>
    )
  }
  const model = models.find((m) => m.path === status.loadedModelPath)
  const loaded =
    status.loadedModelPath === null
      ? 'no model loaded'
      : `${model?.name ?? status.loadedModelPath} loaded${
          status.loadedComponents.length === 0
            ? ''
            : ` (${status.loadedComponents.map((c) => `${c.component} on ${c.provider}`).join(', ')})`
        }`
  return (
    <p data-testid="memory-status">
      Inference process: {formatBytes(status.rssBytes)} in use · {loaded}
    </p>
  )
}
