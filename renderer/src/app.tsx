import type { JSX } from 'react'
import { CapabilitiesPanel } from './components/capabilities-panel'

/** The application shell. */
export function App(): JSX.Element {
  return (
    <main className="app">
      <header className="app-header">
        <h1>Stepwise</h1>
      </header>
      <CapabilitiesPanel />
    </main>
  )
}
