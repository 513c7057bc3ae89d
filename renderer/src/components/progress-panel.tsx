import type { JSX } from 'react'
import type { JobState } from '../contract'
import { isTerminalJobState } from '../contract'
import { PHASE_LABELS } from '../lib/live-status'
import { etaMs, formatDuration, formatRate, stepRate } from '../lib/run-stats'
import { useJobStore } from '../store/job-store'

const PHASES: JobState[] = ['loading', 'encoding', 'denoising', 'decoding']

/** Progress of the live job: step i of N, it/s, ETA and the phase it is in. */
export function ProgressPanel(): JSX.Element {
  const live = useJobStore((s) => s.live)
  const steps = live?.steps ?? []
  const total = live?.total ?? 0
  const done = steps.length
  const rate = stepRate(steps)
  const finished = live !== null && isTerminalJobState(live.state)
  const eta = finished ? null : etaMs(done, total, rate.msPerStep)
  const phaseIndex = live === null ? -1 : PHASES.indexOf(live.state)
  return (
    <div className="progress-panel" data-testid="progress" aria-label="Progress">
      <progress max={Math.max(total, 1)} value={done} aria-label="Denoising progress" />
      <p className="progress-text">
        <span data-testid="progress-steps">
          Step {done} of {total || '–'}
        </span>
        <span data-testid="progress-rate">{formatRate(rate.itPerSec)}</span>
        <span data-testid="progress-eta">ETA {eta === null ? '–' : formatDuration(eta)}</span>
        <span data-testid="progress-phase">
          {live === null ? 'idle' : PHASE_LABELS[live.state]}
        </span>
      </p>
      <ol className="phases" aria-label="Phases">
        {PHASES.map((phase, i) => {
          // A phase that has begun and is not the current one is over (stopped runs still decode).
          const state =
            i === phaseIndex && !finished
              ? 'current'
              : live?.phaseStartedAt[phase] !== undefined
                ? 'past'
                : 'future'
          return (
            <li
              key={phase}
              className={`phase phase-${state}`}
              aria-current={state === 'current' ? 'step' : undefined}
            >
              {PHASE_LABELS[phase]}
            </li>
          )
        })}
      </ol>
    </div>
  )
}
