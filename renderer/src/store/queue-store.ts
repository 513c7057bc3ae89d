import { create } from 'zustand'
import type { JobSummary } from '../contract'
import { useAppStore } from './app-store'
import { messageOf, useNoticeStore } from './notice-store'

/** The job queue as main reports it. */
export interface QueueState {
  jobs: JobSummary[]
  /** Why the queue could not be read; shown in the queue pane. */
  error: string | null
  /** Re-reads the queue; overlapping calls collapse into one extra read. */
  refresh(): Promise<void>
  /** Cancels a waiting job (or stops the running one). */
  cancel(jobId: string): Promise<void>
}

let reading: Promise<void> | null = null
let readAgain = false

/** The queue store. */
export const useQueueStore = create<QueueState>()((set, get) => ({
  jobs: [],
  error: null,
  async refresh() {
    const api = useAppStore.getState().api
    if (api === null) return
    // Several job events arrive in a burst; one read in flight plus one after it is enough.
    if (reading !== null) {
      readAgain = true
      return reading
    }
    reading = (async () => {
      try {
        do {
          readAgain = false
          set({ jobs: await api.listJobs(), error: null })
        } while (readAgain)
      } catch (error) {
        set({ error: messageOf(error) })
      } finally {
        reading = null
      }
    })()
    return reading
  },
  async cancel(jobId) {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      await api.stop(jobId)
    } catch (error) {
      useNoticeStore.getState().showError(messageOf(error))
    }
    await get().refresh()
  }
}))

/** Jobs that wait for their turn, in queue order. */
export function waitingJobs(jobs: readonly JobSummary[]): JobSummary[] {
  return jobs
    .filter((j) => j.state === 'queued' && j.position !== null && j.position > 0)
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
}
