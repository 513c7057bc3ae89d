import type { JSX } from 'react'
import { useAppStore } from '../store/app-store'
import { MemoryStatus } from './memory-status'

/** The status bar: versions, front end and execution providers, as the backend reports them. */
export function CapabilitiesPanel(): JSX.Element {
  const capabilities = useAppStore((s) => s.capabilities)
  const error = useAppStore((s) => s.connectionError)
  if (error !== null) {
    return (
      <footer className="status-bar">
        <p role="alert" data-testid="connection-error">
          {error}
        </p>
      </footer>
    )
  }
  if (capabilities === null) {
    return (
      <footer className="status-bar">
        <p data-testid="capabilities-loading">Connecting…</p>
      </footer>
    )
  }
  return (
    <footer className="status-bar" aria-label="About this installation" data-testid="capabilities">
      <p>
        Stepwise <span data-testid="app-version">{capabilities.appVersion}</span> · onnxruntime{' '}
        <span data-testid="ort-version">{capabilities.onnxruntimeVersion}</span> ·{' '}
        <span data-testid="app-mode">{capabilities.mode}</span> · {capabilities.platform}{' '}
        {capabilities.arch}
      </p>
      <ul aria-label="Execution providers" className="ep-list">
        {capabilities.executionProviders.map((ep) => (
          <li
            key={ep.name}
            data-testid={`ep-${ep.name}`}
            data-available={ep.available}
            className={ep.available ? 'ep-on' : 'ep-off'}
          >
            {ep.name}: {ep.available ? 'available' : 'not available'}
          </li>
        ))}
      </ul>
      <MemoryStatus />
    </footer>
  )
}
