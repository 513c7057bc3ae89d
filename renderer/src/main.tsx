import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app'
import { connectApi } from './api/client'
import { bootstrap } from './store/bootstrap'
import { useAppStore } from './store/app-store'
import './styles.css'

const rootElement = document.getElementById('root')
if (rootElement === null) throw new Error('index.html lacks #root')

try {
  void bootstrap(connectApi())
} catch (error) {
  useAppStore.getState().fail((error as Error).message)
}

createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>
)
