import type { JSX } from 'react'
import { useFormStore } from '../store/form-store'

/**
 * Shown while the form is a branch of another run: which run and step the next Generate
 * continues from, and what stays that run's. Cancelling makes the next Generate a fresh run.
 */
export function BranchMarker(): JSX.Element | null {
  const branch = useFormStore((s) => s.values.branchFrom)
  const error = useFormStore((s) => s.fieldErrors.branch)
  const set = useFormStore((s) => s.set)
  if (branch === null) return null
  return (
    <div className="branch-marker" role="status" data-testid="branch-marker">
      <span>
        Branch from run “{branch.label}”, step {branch.step + 1}: change the prompt or guidance;
        size, steps, scheduler and seed stay the run&apos;s.
        {error !== undefined && <span className="field-error"> {error}</span>}
      </span>
      <button type="button" data-testid="branch-cancel" onClick={() => set('branchFrom', null)}>
        Cancel branch
      </button>
    </div>
  )
}
