import type { JSX } from 'react'
import { useLiveStatus } from '../hooks/use-live-status'
import { useSlowSteps } from '../hooks/use-slow-steps'
import { useAppStore } from '../store/app-store'
import { useJobStore } from '../store/job-store'
import { selectRunning } from '../store/live-selectors'
import { generate, stopLive, stopLiveNow } from '../store/run-actions'

const isMac = /Mac|iPhone|iPad/.test(navigator.platform)

/**
 * Generate and Stop, with their shortcuts, and the status line. When steps are slow (a second
 * or more) Stop is joined by "Stop now", which does not wait for the step to end.
 */
export function RunControls(): JSX.Element {
  const connected = useAppStore((s) => s.api !== null && s.capabilities !== null)
  const running = useJobStore(selectRunning)
  const stopping = useJobStore((s) => s.live?.stopping === true)
  const status = useLiveStatus()
  const slow = useSlowSteps()
  return (
    <div className="run-controls">
      <button
        type="button"
        className="primary"
        data-testid="generate-button"
        disabled={!connected}
        aria-keyshortcuts={isMac ? 'Meta+Enter' : 'Control+Enter'}
        onClick={() => void generate()}
      >
        {running ? 'Generate (queue)' : 'Generate'} <kbd>{isMac ? '⌘↵' : 'Ctrl+↵'}</kbd>
      </button>
      <button
        type="button"
        className="danger"
        data-testid="stop-button"
        disabled={!running || stopping}
        aria-keyshortcuts="Escape"
        aria-busy={stopping}
        onClick={() => void stopLive()}
      >
        {stopping ? 'Stopping…' : 'Stop'} <kbd>Esc</kbd>
      </button>
      {running && slow ? (
        <button
          type="button"
          className="danger"
          data-testid="stop-now-button"
          title="Ends the step in progress at once: the result is the last finished step (it can be continued), decoded once the model has reloaded"
          onClick={() => void stopLiveNow()}
        >
          Stop now
        </button>
      ) : null}
      <p
        className={`status status-${status.kind}`}
        data-testid="status"
        data-status={status.kind}
        role="status"
        aria-live="polite"
      >
        {status.text}
      </p>
    </div>
  )
}
