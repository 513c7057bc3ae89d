import { useEffect } from 'react'
import { isTerminalJobState } from '../contract'
import { useJobStore } from '../store/job-store'
import { generate, stopLive } from '../store/run-actions'

/**
 * The app's keyboard shortcuts, active everywhere (prompt fields included): Ctrl/Cmd+Enter
 * generates, Esc stops the running job or, when nothing runs, closes the inspected step.
 */
export function useShortcuts(): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.repeat) {
        event.preventDefault()
        void generate()
        return
      }
      if (event.key !== 'Escape' || event.defaultPrevented) return
      const { live, inspectedStep, inspect } = useJobStore.getState()
      if (live !== null && !isTerminalJobState(live.state)) {
        event.preventDefault()
        void stopLive()
      } else if (inspectedStep !== null) {
        event.preventDefault()
        inspect(null)
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [])
}
