import type { JSX } from 'react'
import { useAppStore } from '../store/app-store'

/** Shows what the backend reported: versions and execution providers. */
export function CapabilitiesPanel(): JSX.Element {
  const capabilities = useAppStore((s) => s.capabilities)
  const error = useAppStore((s) => s.connectionError)
  if (error !== null) {
    return (
      <p role="alert" data-testid="connection-error">
        {error}
      </p>
    )
  }
  if (capabilities === null) return <p data-testid="capabilities-loading">Connecting…</p>
  return (
    <section aria-label="About this installation" data-testid="capabilities">
      <p>
        Stepwise <span data-testid="app-version">{capabilities.appVersion}</span> · onnxruntime{' '}
        <span data-testid="ort-version">{capabilities.onnxruntimeVersion}</span> ·{' '}
        <span data-testid="app-mode">{capabilities.mode}</span>
      </p>
      <ul aria-label="Execution providers">
        {capabilities.executionProviders.map((ep) => (
          <li key={ep.name} data-testid={`ep-${ep.name}`} data-available={ep.available}>
            {ep.name}: {ep.available ? 'available' : 'not available'}
          </li>
        ))}
      </ul>
    </section>
  )
}
