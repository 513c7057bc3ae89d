import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { JSX, KeyboardEvent } from 'react'
import { useInputImageStore } from '../store/input-image-store'
import type { LiveStep } from '../store/job-store'
import { useJobStore } from '../store/job-store'
import {
  selectCanBranch,
  selectRunning,
  selectShownCutoffStep,
  selectShownStartStep,
  selectSteps,
  selectTotal
} from '../store/live-selectors'
import { branchFrom } from '../store/run-actions'
import { createGrouper } from '../lib/step-groups'
import { GalleryGroup } from './gallery-group'
import { PendingSteps } from './pending-steps'

/** Tiles per memoised group: a frame compares about steps/GROUP_SIZE groups, not every tile. */
const GROUP_SIZE = 32

/** `value` if it is the index of a step in `group`, else null: other groups see no change. */
function within(value: number | null, group: readonly LiveStep[]): number | null {
  const first = group[0]?.index
  const last = group[group.length - 1]?.index
  if (value === null || first === undefined || last === undefined) return null
  return value >= first && value <= last ? value : null
}

/**
 * The step strip: one item per finished step, filling in as the steps end, then the steps still
 * to come as one element, with a marker where guidance ends. Arrow keys move between steps and
 * open each for inspection.
 */
export function StepGallery(): JSX.Element {
  const steps = useJobStore(selectSteps)
  const total = useJobStore(selectTotal)
  const cutoffStep = useJobStore(selectShownCutoffStep)
  const running = useJobStore(selectRunning)
  const startStep = useJobStore(selectShownStartStep)
  const canBranch = useJobStore(selectCanBranch)
  // A continued run's first step comes after the step it continues from.
  const resumedAfter = useJobStore((s) => s.live?.params?.resumeFrom?.step ?? -1)
  const inspected = useJobStore((s) => s.inspectedStep)
  const inspect = useJobStore((s) => s.inspect)
  // A store action: the same function for the store's life, so tiles' memo holds.
  const toggleInspect = useJobStore((s) => s.toggleInspect)
  // An image run enters the schedule part-way: step 1 here is this step of the full schedule.
  const jobId = useJobStore((s) => s.live?.jobId ?? null)
  const resultStart = useJobStore((s) => s.live?.result?.startStep ?? 0)
  const scheduleStart = useInputImageStore((s) =>
    jobId === null ? 0 : (s.startSteps[jobId] ?? resultStart)
  )
  const listRef = useRef<HTMLOListElement>(null)
  const [grouper] = useState(() => createGrouper<LiveStep>(GROUP_SIZE))
  const groups = useMemo(() => grouper(steps), [grouper, steps])
  // Read from the store when clicked: one function for the strip's life, so tiles' memo holds.
  const onBranch = useCallback((index: number) => {
    const live = useJobStore.getState().live
    if (live === null || live.params === null) return
    const prompt = live.params.prompt.trim() === '' ? '(empty prompt)' : live.params.prompt
    branchFrom(live.params, live.result, {
      jobId: live.jobId,
      step: index,
      label: `${prompt} · seed ${live.seed ?? live.params.seed ?? '?'}`
    })
  }, [])

  // Follow the newest step unless the user is inspecting an older one. Only the strip scrolls
  // (never the page or the panes around it, which the user may have scrolled on purpose).
  useEffect(() => {
    const list = listRef.current
    if (list === null || inspected !== null) return
    // The newest tile is the last child, or the one before the steps still to come.
    const last = list.lastElementChild
    const newest = last?.classList.contains('gallery-pending') ? last.previousElementSibling : last
    if (!(newest instanceof HTMLElement)) return
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

  // The steps to come only while the run goes: after a stop, the steps that never ran are not
  // worth drawing.
  const next = (steps[steps.length - 1]?.index ?? resumedAfter) + 1
  const pending = running ? Math.max(0, total - next) : 0
  const focusIndex = inspected ?? steps[steps.length - 1]?.index ?? null
  return (
    <section className="gallery-section" aria-labelledby="gallery-heading">
      <h2 id="gallery-heading" className="section-title">
        Steps{' '}
        <span className="muted">
          {steps.length > 0 ? `${steps.length} of ${total}` : ''}
          {startStep > 0 ? ` · guidance from step ${startStep + 1}` : ''}
          {cutoffStep !== null ? ` · guidance ends after step ${cutoffStep + 1}` : ''}
          {scheduleStart > 0 ? (
            <span data-testid="gallery-start-step">
              {` · from the picture: step 1 is step ${scheduleStart + 1} of the full schedule`}
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
        {groups.map((group, g) => (
          <GalleryGroup
            key={g}
            steps={group}
            total={total}
            selected={within(inspected, group)}
            cutoffAfter={within(cutoffStep, group)}
            focusable={within(focusIndex, group)}
            startStep={scheduleStart}
            onSelect={toggleInspect}
            onBranch={canBranch ? onBranch : undefined}
            branchBefore={total - 1}
          />
        ))}
        {pending > 0 && (
          <PendingSteps
            first={next}
            count={pending}
            startStep={startStep}
            cutoffStep={cutoffStep}
          />
        )}
      </ol>
    </section>
  )
}
