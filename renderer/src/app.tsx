import type { JSX } from 'react'
import { CapabilitiesPanel } from './components/capabilities-panel'
import { ErrorBanner } from './components/error-banner'
import { GenerateForm } from './components/generate-form'
import { HistoryPanel } from './components/history-panel'
import { LiveView } from './components/live-view'
import { ProgressPanel } from './components/progress-panel'
import { QueuePanel } from './components/queue-panel'
import { RunControls } from './components/run-controls'
import { StepGallery } from './components/step-gallery'
import { useShortcuts } from './hooks/use-shortcuts'

/**
 * The application: parameters on the left, the live view with its controls and step strip in the
 * centre, queue and history on the right, the installation's facts in the status bar.
 */
export function App(): JSX.Element {
  useShortcuts()
  return (
    <div className="app">
      <header className="app-header">
        <h1>Stepwise</h1>
        <p className="tagline">watch and steer the denoising</p>
      </header>
      <aside className="pane pane-form" aria-label="Parameters">
        <GenerateForm />
      </aside>
      <main className="pane pane-live">
        <RunControls />
        <ErrorBanner />
        <ProgressPanel />
        <LiveView />
        <StepGallery />
      </main>
      <aside className="pane pane-side" aria-label="Queue and history">
        <QueuePanel />
        <HistoryPanel />
      </aside>
      <CapabilitiesPanel />
    </div>
  )
}
