import { useCallback, useEffect, useRef } from 'react'
import type { JSX, KeyboardEvent } from 'react'
import { isTerminalJobState } from '../contract'
import { liveWindow, useJobStore } from '../store/job-store'
import { branchFrom } from '../store/run-actions'
import { GalleryItem } from './gallery-item'

/** Slots drawn for steps still to come, so the cutoff marker shows before the run reaches it. */
const MAX_PENDING_SLOTS = 500

/**
 * The step strip: one item per finished step, filling in as the steps end, with a marker where
 * guidance ends. Arrow keys move between steps and open each for inspection.
 */
export function StepGallery(): JSX.Element {
  const live = useJobStore((s) => s.live)
  const inspected = useJobStore((s) => s.inspectedStep)
  const inspect = useJobStore((s) => s.inspect)
  const listRef = useRef<HTMLOListElement>(null)
  const steps = live?.steps ?? []
  const total = live?.total ?? 0
  const span = live === null ? { start: 0, end: total } : liveWindow(live)
  const cutoffStep =
    live === null
      ? null
      : live.cutoff !== null
        ? live.cutoff.cutoffStep
        : (live.result?.cfgCutoffStep ?? (span.end < total ? span.end - 1 : null))

  const onSelect = useCallback(
    (index: number) => inspect(inspected === index ? null : index),
    [inspect, inspected]
  )
  const params = live?.params ?? null
  const jobId = live?.jobId ?? null
  const result = live?.result ?? null
  // A branch continues from the end of a step: the last step leaves nothing to continue.
  const onBranch = useCallback(
    (index: number) => {
      if (params === null || jobId === null) return
      const label = `${params.prompt.trim() === '' ? '(empty prompt)' : params.prompt} · seed ${live?.seed ?? params.seed ?? '?'}`
      branchFrom(params, result, { jobId, step: index, label })
    },
    [params, jobId, result, live?.seed]
  )

  // Follow the newest step unless the user is inspecting an older one. Only the strip scrolls
  // (never the page or the panes around it, which the user may have scrolled on purpose).
  useEffect(() => {
    const list = listRef.current
    if (list === null || inspected !== null) return
    const items = list.querySelectorAll<HTMLElement>('.gallery-item')
    const newest = items[items.length - 1]
    if (newest === undefined) return
    // The strip is positioned, so each item's offsetLeft is measured from the strip's content.
    const right = newest.offsetLeft + newest.offsetWidth
    if (right > list.scrollLeft + list.clientWidth) list.scrollLeft = right - list.clientWidth + 16
  }, [steps.length, inspected])

  const onKeyDown = (event: KeyboardEvent<HTMLOListElement>): void => {
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1 }
    const current = inspected ?? steps[steps.length - 1]?.index ?? 0
    let next: number | null = null
    if (event.key in moves) next = current + (moves[event.key] ?? 0)
    else if (event.key === 'Home') next = steps[0]?.index ?? null
    else if (event.key === 'End') next = steps[steps.length - 1]?.index ?? null
    if (next === null || !steps.some((s) => s.index === next)) return
    event.preventDefault()
    inspect(next)
    listRef.current?.querySelector<HTMLButtonElement>(`[data-step="${next}"] button`)?.focus()
  }

  // Slots only while the run goes: after a stop, the steps that never ran are not worth a tile.
  const running = live !== null && !isTerminalJobState(live.state)
  const pending = running ? Math.max(0, Math.min(total, MAX_PENDING_SLOTS) - steps.length) : 0
  const focusIndex = inspected ?? steps[steps.length - 1]?.index ?? null
  return (
    <section className="gallery-section" aria-labelledby="gallery-heading">
      <h2 id="gallery-heading" className="section-title">
        Steps{' '}
        <span className="muted">
          {steps.length > 0 ? `${steps.length} of ${total}` : ''}
          {span.start > 0 ? ` · guidance from step ${span.start + 1}` : ''}
          {cutoffStep !== null ? ` · guidance ends after step ${cutoffStep + 1}` : ''}
        </span>
      </h2>
      <ol
        ref={listRef}
        className="gallery"
        data-testid="gallery"
        aria-label="Finished steps (arrow keys move between them)"
        onKeyDown={onKeyDown}
      >
        {steps.map((step) => (
          <GalleryItem
            key={step.index}
            step={step}
            total={total}
            selected={inspected === step.index}
            cutoffAfter={cutoffStep === step.index}
            focusable={focusIndex === step.index}
            onSelect={onSelect}
            onBranch={params !== null && step.index < total - 1 ? onBranch : undefined}
          />
        ))}
        {Array.from({ length: pending }, (_, i) => {
          const index = steps.length + i
          return (
            <li
              key={`slot-${index}`}
              className={`gallery-slot${cutoffStep === index ? ' cutoff-after' : ''}${
                index < span.start || index >= span.end ? ' cfg-off' : ''
              }`}
              aria-hidden="true"
            />
          )
        })}
      </ol>
    </section>
  )
}
