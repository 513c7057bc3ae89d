import type { JobState } from '../contract'
import { formatDuration } from './run-stats'

/** The words the status line is built from (tests outside this repo look for them). */
export type StatusKind = 'idle' | 'running' | 'stopping' | 'stopped' | 'done' | 'failed'

/** What a person reads in the status line. */
export interface LiveStatus {
  kind: StatusKind
  text: string
}

/** Human names of the phases a job passes through. */
export const PHASE_LABELS: Record<JobState, string> = {
  queued: 'waiting in queue',
  loading: 'loading model',
  encoding: 'encoding prompt',
  denoising: 'denoising',
  decoding: 'decoding',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
  cancelled: 'cancelled'
}

/** The part of a live job the status line depends on. */
export interface StatusInput {
  state: JobState
  stopping: boolean
  stepsDone: number
  total: number
  stepsRun: number | null
  interrupted: boolean
  totalMs: number | null
  failure: string | null
  /** Main's words for a stop whose image is still to come ("stop now"), or null. */
  stopNote?: string | null
}

/** The status line of the live view (null input: nothing ran yet). */
export function liveStatus(input: StatusInput | null): LiveStatus {
  if (input === null) return { kind: 'idle', text: 'idle' }
  const { state } = input
  if (state === 'failed') {
    return { kind: 'failed', text: `failed: ${input.failure ?? 'unknown error'}` }
  }
  if (state === 'cancelled') return { kind: 'stopped', text: 'stopped before it started' }
  // Stopped now: the step it stopped at, and that its image comes after the model reloads.
  if (state === 'stopped' && input.stopNote != null) {
    return { kind: 'stopped', text: input.stopNote }
  }
  if (state === 'stopped' || (state === 'done' && input.interrupted)) {
    const k = input.stepsRun ?? input.stepsDone
    return { kind: 'stopped', text: `stopped at step ${k} of ${input.total}` }
  }
  if (state === 'done') {
    const took = input.totalMs === null ? '' : ` in ${formatDuration(input.totalMs)}`
    return { kind: 'done', text: `done${took}` }
  }
  // A stopped loop decodes its partial image before the job ends (as diffusers does): the run has
  // stopped once decoding starts, so say so then rather than after the decode and history write.
  if (state === 'decoding' && input.stopping && input.stepsDone < input.total) {
    return {
      kind: 'stopped',
      text: `stopped at step ${input.stepsDone} of ${input.total} · decoding…`
    }
  }
  if (input.stopping) return { kind: 'stopping', text: 'stopping…' }
  return { kind: 'running', text: `running · ${PHASE_LABELS[state]}` }
}
