import type { JSX } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { JobState } from '../contract'
import { isTerminalJobState } from '../contract'
import { describeLoadProgress } from '../../../shared/load-progress'
import { PHASE_LABELS } from '../lib/live-status'
import { etaMs, formatDuration, formatRate, stepRate } from '../lib/run-stats'
import type { LiveJob } from '../store/job-store'
import { useJobStore } from '../store/job-store'

const PHASES: JobState[] = ['loading', 'encoding', 'denoising', 'decoding']

/** What the progress panel shows, as words and numbers that compare by value. */
interface ProgressView {
  done: number
  total: number
  rate: string
  eta: string
  state: JobState | null
  finished: boolean
  phaseStartedAt: LiveJob['phaseStartedAt'] | null
}

function progressOf(live: LiveJob | null): ProgressView {
  const steps = live?.steps ?? []
  const total = live?.total ?? 0
  const rate = stepRate(steps)
  const finished = live !== null && isTerminalJobState(live.state)
  const eta = finished ? null : etaMs(steps.length, total, rate.msPerStep)
  return {
    done: steps.length,
    total,
    rate: formatRate(rate.itPerSec),
    eta: eta === null ? '–' : formatDuration(eta),
    state: live?.state ?? null,
    finished,
    phaseStartedAt: live?.phaseStartedAt ?? null
  }
}

/** Progress of the live job: step i of N, it/s, ETA and the phase it is in. */
export function ProgressPanel(): JSX.Element {
  const { done, total, rate, eta, state, finished, phaseStartedAt } = useJobStore(
    useShallow((s) => progressOf(s.live))
  )
  const load = useJobStore((s) => (s.live?.state === 'loading' ? (s.live.load ?? null) : null))
  const phaseIndex = state === null ? -1 : PHASES.indexOf(state)
  return (
    <div className="progress-panel" data-testid="progress" aria-label="Progress">
      <progress max={Math.max(total, 1)} value={done} aria-label="Denoising progress" />
      <p className="progress-text">
        <span data-testid="progress-steps">
          Step {done} of {total || '–'}
        </span>
        <span data-testid="progress-rate">{rate}</span>
        <span data-testid="progress-eta">ETA {eta}</span>
        <span data-testid="progress-phase">{state === null ? 'idle' : PHASE_LABELS[state]}</span>
      </p>
      {load === null ? null : (
        <p className="load-progress" data-testid="load-progress" role="status">
          {describeLoadProgress(load)}
        </p>
      )}
      <ol className="phases" aria-label="Phases">
        {PHASES.map((phase, i) => {
          // A phase that has begun and is not the current one is over (stopped runs still decode).
          const phaseState =
            i === phaseIndex && !finished
              ? 'current'
              : phaseStartedAt?.[phase] !== undefined
                ? 'past'
                : 'future'
          return (
            <li
              key={phase}
              className={`phase phase-${phaseState}`}
              aria-current={phaseState === 'current' ? 'step' : undefined}
            >
              {PHASE_LABELS[phase]}
            </li>
          )
        })}
      </ol>
    </div>
  )
}
