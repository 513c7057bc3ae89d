import type { JSX } from 'react'
import { useNoticeStore } from '../store/notice-store'

/** The current error, in the engine's (or the validator's) own words, until dismissed. */
export function ErrorBanner(): JSX.Element | null {
  const error = useNoticeStore((s) => s.error)
  const clear = useNoticeStore((s) => s.clearError)
  if (error === null) return null
  return (
    <div className="error-banner" role="alert">
      <p data-testid="error-message">{error}</p>
      <button type="button" className="icon-button" aria-label="Dismiss error" onClick={clear}>
        ✕
      </button>
    </div>
  )
}
