import type { JSX } from 'react'
import { useHistoryStore } from '../store/history-store'
import { HistoryDetail } from './history-detail'
import { LiveView } from './live-view'
import { StepGallery } from './step-gallery'

/**
 * The large area of the centre column: the live view and its step strip, or a stored result
 * opened from History (with a way back). Generate, Stop and the progress stay above it either way.
 */
export function MainView(): JSX.Element {
  const selected = useHistoryStore((s) => s.entries.find((e) => e.id === s.selectedId))
  if (selected !== undefined) return <HistoryDetail key={selected.id} entry={selected} />
  return (
    <>
      <LiveView />
      <StepGallery />
    </>
  )
}
