import { useCallback, useEffect, useRef } from 'react'
import type { JSX, KeyboardEvent } from 'react'
import { cutoffStepIndex } from '../../../shared/cfg-cutoff'
import { isTerminalJobState } from '../contract'
import { useInputImageStore } from '../store/input-image-store'
import { useJobStore } from '../store/job-store'
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
  // An image run enters the schedule part-way: step 1 here is this step of the full schedule.
  const startStep = useInputImageStore((s) =>
    live === null ? 0 : (s.startSteps[live.jobId] ?? live.result?.startStep ?? 0)
  )
  const cutoffStep =
    live === null
      ? null
      : live.cutoff !== null
        ? live.cutoff.cutoffStep
        : (live.result?.cfgCutoffStep ?? cutoffStepIndex(total, live.params?.cfgCutoff ?? null))

  const onSelect = useCallback(
    (index: number) => inspect(inspected === index ? null : index),
    [inspect, inspected]
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
          {cutoffStep !== null ? ` · guidance ends after step ${cutoffStep + 1}` : ''}
          {startStep > 0 ? (
            <span data-testid="gallery-start-step">
              {` · from the picture: step 1 is step ${startStep + 1} of the full schedule`}
            </span>
          ) : null}
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
            startStep={startStep}
            onSelect={onSelect}
          />
        ))}
        {Array.from({ length: pending }, (_, i) => {
          const index = steps.length + i
          return (
            <li
              key={`slot-${index}`}
              className={`gallery-slot${cutoffStep === index ? ' cutoff-after' : ''}${
                cutoffStep !== null && index > cutoffStep ? ' cfg-off' : ''
              }`}
              aria-hidden="true"
            />
          )
        })}
      </ol>
    </section>
  )
}
