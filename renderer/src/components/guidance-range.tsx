import type { JSX } from 'react'
import { intervalFromForm } from '../lib/form-params'
import { useFormStore } from '../store/form-store'
import { moveLiveInterval } from '../store/run-actions'

/** Props of {@link GuidanceRange}. */
export interface GuidanceRangeProps {
  /** A run is going: moves go to it. */
  running: boolean
  /**
   * While running, the smallest position still ahead of the run (a bound behind it never acts),
   * asked when a handle moves rather than rendered on every step.
   */
  minPercent(): number
  /** Guidance has started in the running job: the start can no longer move. */
  startLocked: boolean
  /** Guidance has ended in the running job: the end can no longer move. */
  endLocked: boolean
}

/**
 * Where guidance runs, as one range with two handles over the steps (Kynkäänniemi et al. 2024:
 * guidance early harms, late is unneeded): the start and end handles are shares of the run,
 * each becoming a step as diffusers does (`int(T · r)`); the steps outside the range run the UNet
 * at batch 1. During a run each handle moves until its step has passed.
 */
export function GuidanceRange({
  running,
  minPercent,
  startLocked,
  endLocked
}: GuidanceRangeProps): JSX.Element {
  const values = useFormStore((s) => s.values)
  const set = useFormStore((s) => s.set)
  const { intervalStart: start, intervalEnd: end } = values

  const move = (next: { intervalStart: number; intervalEnd: number }): void => {
    set('intervalStart', next.intervalStart)
    set('intervalEnd', next.intervalEnd)
    if (running) moveLiveInterval(intervalFromForm({ ...values, ...next }))
  }
  const onStart = (raw: number): void => {
    const floor = running ? minPercent() : 0
    const value = Math.min(Math.max(raw, floor), end - 1)
    move({ intervalStart: Math.max(0, value), intervalEnd: end })
  }
  const onEnd = (raw: number): void => {
    const floor = Math.max(start + 1, running ? minPercent() : 0)
    move({ intervalStart: start, intervalEnd: Math.min(100, Math.max(raw, floor)) })
  }
  const label = `${start} %–${end} %`
  return (
    <div className="guidance-range" role="group" aria-label="Guidance range, percent of steps">
      <span className="guidance-range-label">Guidance range</span>
      <div className="range-pair">
        <input
          type="range"
          data-testid="cfg-interval-start"
          min={0}
          max={100}
          step={1}
          value={start}
          disabled={startLocked || endLocked}
          aria-label="Guidance starts at, percent of steps"
          aria-valuetext={`guidance from ${start} % of the steps`}
          onChange={(e) => onStart(Number(e.target.value))}
        />
        <input
          type="range"
          data-testid="cfg-interval-end"
          min={0}
          max={100}
          step={1}
          value={end}
          disabled={endLocked}
          aria-label="Guidance ends at, percent of steps"
          aria-valuetext={`guidance until ${end} % of the steps`}
          onChange={(e) => onEnd(Number(e.target.value))}
        />
      </div>
      <output className="cutoff-value">{label}</output>
    </div>
  )
}
