import type { JSX } from 'react'
import { CapabilitiesPanel } from './components/capabilities-panel'
import { ConnectionBanner } from './components/connection-banner'
import { DownloadsPanel } from './components/downloads-panel'
import { ErrorBanner } from './components/error-banner'
import { GenerateForm } from './components/generate-form'
import { HistoryPanel } from './components/history-panel'
import { LibraryPanel } from './components/library-panel'
import { MainView } from './components/main-view'
import { ImageViewer } from './components/image-viewer'
import { ProgressPanel } from './components/progress-panel'
import { QueuePanel } from './components/queue-panel'
import { RunControls } from './components/run-controls'
import { useFolderDrop } from './hooks/use-folder-drop'
import { useImageDropPaste } from './hooks/use-image-drop-paste'
import { useShortcuts } from './hooks/use-shortcuts'

/**
 * The application: parameters on the left, the live view with its controls and step strip in the
 * centre, queue, history, the model library and downloads on the right, the installation's facts
 * and the inference process's memory in the status bar. A stored result opened from History takes
 * the centre's place; any result opens full size in the viewer. A folder dropped on the window is
 * added to the model library, a PNG's parameters go into the form; a picture dropped or pasted
 * becomes the input picture.
 */
export function App(): JSX.Element {
  useShortcuts()
  useFolderDrop()
  useImageDropPaste()
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
        <ConnectionBanner />
        <ErrorBanner />
        <ProgressPanel />
        <MainView />
      </main>
      <aside className="pane pane-side" aria-label="Queue and history">
        <QueuePanel />
        <HistoryPanel />
        <LibraryPanel />
        <DownloadsPanel />
      </aside>
      <CapabilitiesPanel />
      <ImageViewer />
    </div>
  )
}
