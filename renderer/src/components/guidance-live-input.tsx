import { useState } from 'react'
import type { JSX } from 'react'
import { LIMITS } from '../../../shared/params'
import { useJobStore } from '../store/job-store'
import { selectRunning } from '../store/live-selectors'
import { setLiveGuidanceScale } from '../store/run-actions'

/**
 * The guidance scale of the running job, changeable while it runs (diffusers' dynamic CFG): a new
 * value applies from the next step and each step records the scale it used. It needs guidance
 * to have been on when the run started (the unconditional embeddings exist only then). Its
 * parent keys it by job, so a new run starts it afresh with that run's scale.
 */
export function GuidanceLiveInput(): JSX.Element {
  const running = useJobStore(selectRunning)
  const inForce = useJobStore(
    (s) => s.live?.cutoff?.guidanceScale ?? s.live?.params?.guidanceScale ?? null
  )
  const guided = useJobStore((s) => (s.live?.params?.guidanceScale ?? 0) > 1)
  const [text, setText] = useState(inForce === null ? '' : String(inForce))
  const [problem, setProblem] = useState<string | null>(null)
  const onChange = (value: string): void => {
    setText(value)
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n <= 1 || n > LIMITS.guidanceScale.max) {
      setProblem(
        `a guidance scale above 1 and at most ${LIMITS.guidanceScale.max}; to turn guidance off, move the end of the range`
      )
      return
    }
    setProblem(null)
    setLiveGuidanceScale(n)
  }
  return (
    <div className="guidance-live">
      <label htmlFor="guidance-live">Guidance scale now</label>
      <input
        id="guidance-live"
        type="number"
        inputMode="decimal"
        data-testid="guidance-live-input"
        step={0.5}
        min={1}
        max={LIMITS.guidanceScale.max}
        value={text}
        disabled={!running || !guided}
        aria-invalid={problem !== null}
        title={
          running
            ? guided
              ? 'Applies from the next step'
              : 'This run started without guidance'
            : 'Changes the guidance scale of a running job'
        }
        onChange={(e) => onChange(e.target.value)}
      />
      {problem !== null && <span className="field-error">{problem}</span>}
    </div>
  )
}
