import type { RunSnapshot } from '../../engine'
import type { InferenceMessage, InferenceProcessStatus } from '../protocol'

type StatusAnswer = (status: InferenceProcessStatus | null) => void
/** The messages that answer a request of this kind. */
type RequestAnswer = Extract<InferenceMessage, { type: 'status' | 'snapshot' }>

type SnapshotAnswer = (snapshot: RunSnapshot | null, reason?: string) => void

/**
 * The questions main asks the inference process that are answered by request id (its status, a
 * step's run state) and the ids themselves, which `decode-state` shares. An answer that never
 * comes times out; a process that goes away answers all of them at once (`abandon`).
 */
export class ProcessRequests {
  private readonly statusRequests = new Map<number, StatusAnswer>()
  private readonly snapshotRequests = new Map<number, SnapshotAnswer>()
  private nextRequest = 1

  /** A request id not used before in this client. */
  nextId(): number {
    return this.nextRequest++
  }

  /**
   * Asks for the process's status with `send(requestId)`; null when it does not answer within
   * `timeoutMs` or goes away first.
   */
  status(
    send: (requestId: number) => void,
    timeoutMs: number
  ): Promise<InferenceProcessStatus | null> {
    const requestId = this.nextId()
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), timeoutMs)
      const answer = (status: InferenceProcessStatus | null): void => {
        clearTimeout(timer)
        this.statusRequests.delete(requestId)
        resolve(status)
      }
      this.statusRequests.set(requestId, answer)
      send(requestId)
    })
  }

  /**
   * Asks for the state at the end of `step` of `jobId` with `send(requestId)`; rejects saying
   * why when the process holds none, does not answer in time, or goes away first.
   */
  snapshot(
    jobId: string,
    step: number,
    send: (requestId: number) => void,
    timeoutMs: number
  ): Promise<RunSnapshot> {
    const requestId = this.nextId()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => answer(null, 'the inference process did not answer in time'),
        timeoutMs
      )
      const answer = (snapshot: RunSnapshot | null, reason?: string): void => {
        clearTimeout(timer)
        this.snapshotRequests.delete(requestId)
        if (snapshot !== null) resolve(snapshot)
        else reject(new Error(reason ?? `job ${jobId} has no step ${step} in memory`))
      }
      this.snapshotRequests.set(requestId, answer)
      send(requestId)
    })
  }

  /** Answers the request a `status` or `snapshot` message is for; false for other messages. */
  answer(message: InferenceMessage): message is RequestAnswer {
    if (message.type === 'status') {
      this.statusRequests.get(message.requestId)?.(message.status)
      return true
    }
    if (message.type === 'snapshot') {
      this.snapshotRequests.get(message.requestId)?.(message.snapshot, message.reason)
      return true
    }
    return false
  }

  /** The process went away: every open question is answered (no status, no snapshot). */
  abandon(): void {
    for (const answer of [...this.statusRequests.values()]) answer(null)
    for (const answer of [...this.snapshotRequests.values()]) {
      answer(null, 'the inference process stopped, and the steps it kept in memory with it')
    }
  }
}
