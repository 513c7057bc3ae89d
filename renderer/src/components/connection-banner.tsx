import type { JSX } from 'react'
import { useAppStore } from '../store/app-store'

/**
 * Says at once that the browser-mode server has gone (its socket closed), while the page tries
 * to reconnect; and that a server that was restarted needs the new URL it printed, because each
 * start makes a new token and this page's address no longer opens it.
 */
export function ConnectionBanner(): JSX.Element | null {
  const connection = useAppStore((s) => s.connection)
  if (connection === 'connected') return null
  return (
    <div className="error-banner connection-banner" role="alert" data-testid="connection-lost">
      <p data-state={connection}>
        {connection === 'lost'
          ? 'The Stepwise server cannot be reached (stopped, or the network dropped). Reconnecting… A restarted server prints a new URL: open that one.'
          : 'The Stepwise server was restarted: this page’s address is no longer valid. Open the new URL it printed in its terminal.'}
      </p>
    </div>
  )
}
