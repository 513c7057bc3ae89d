import { useEffect, useState } from 'react'
import { historyImageUrl } from '../lib/history-images'
import { useAppStore } from '../store/app-store'

/**
 * The blob URL of a stored picture (final image, or a kept step preview), once fetched; nothing
 * is fetched while `enabled` is false.
 */
export function useHistoryImage(
  id: string,
  step?: number,
  enabled = true
): { url: string | null; error: string | null } {
  const api = useAppStore((s) => s.api)
  const [state, setState] = useState<{ key: string; url: string | null; error: string | null }>({
    key: '',
    url: null,
    error: null
  })
  const key = `${id}:${step ?? 'final'}`
  useEffect(() => {
    if (api === null || !enabled) return
    let cancelled = false
    historyImageUrl(api, step === undefined ? { id } : { id, step }).then(
      (url) => !cancelled && setState({ key, url, error: null }),
      (error: unknown) =>
        !cancelled && setState({ key, url: null, error: (error as Error).message })
    )
    return () => {
      cancelled = true
    }
  }, [api, id, step, key, enabled])
  return state.key === key ? { url: state.url, error: state.error } : { url: null, error: null }
}
