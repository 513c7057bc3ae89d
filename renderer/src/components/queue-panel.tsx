import type { JSX } from 'react'
import { useQueueStore, waitingJobs } from '../store/queue-store'

/** Jobs waiting behind the running one; each can be cancelled before it starts. */
export function QueuePanel(): JSX.Element | null {
  const jobs = useQueueStore((s) => s.jobs)
  const cancel = useQueueStore((s) => s.cancel)
  const error = useQueueStore((s) => s.error)
  const waiting = waitingJobs(jobs)
  return (
    <section className="queue" aria-labelledby="queue-heading" data-testid="queue">
      <h2 id="queue-heading" className="section-title">
        Queue{' '}
        <span className="muted">
          {waiting.length === 0 ? 'empty' : `${waiting.length} waiting`}
        </span>
      </h2>
      {error !== null && <p className="field-error">Queue unavailable: {error}</p>}
      {waiting.length > 0 && (
        <ol className="queue-list">
          {waiting.map((job) => (
            <li key={job.jobId} className="queue-item" data-testid="queue-item">
              <span className="queue-text">
                <span className="history-prompt">{job.params.prompt || '(empty prompt)'}</span>
                <span className="muted">
                  #{job.position} · {job.params.numInferenceSteps ?? 'default'} steps · seed{' '}
                  {job.seed}
                </span>
              </span>
              <button
                type="button"
                data-testid="queue-cancel"
                aria-label={`Cancel waiting job: ${job.params.prompt || 'empty prompt'}`}
                onClick={() => void cancel(job.jobId)}
              >
                Cancel
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
