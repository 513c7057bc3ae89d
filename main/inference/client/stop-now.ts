import type { RunSnapshot } from '../../engine'
import type {
  CutoffReport,
  DecodedState,
  GenerationRequest,
  GenerationResult,
  InferenceMessage
} from '../protocol'
import type { InferenceJobError } from './inference-job-error'
import { readStepStateJournal, removeStepStateJournal } from '../step-state-journal'

/** What `InferenceClient.stopNow` answers: the step the result is, and when each part is over. */
export interface StopNowTicket {
  /** The index of the last finished step whose state main holds (the result's step), or null. */
  step: number | null
  /** Settles when the ended inference process has exited. */
  exited: Promise<void>
  /** Settles when the stopped run's image is decoded (or it is known that there is none). */
  decoded: Promise<void>
  /**
   * Settles when a fresh inference process has loaded the model again (or failed to: the next
   * job then says why).
   */
  ready: Promise<void>
}

/** The job the inference process runs, as the client tracks it until it settles. */
export interface RunningJob {
  jobId: string
  resolve: (result: GenerationResult) => void
  reject: (error: InferenceJobError) => void
  /** What "stop now" needs of the run (its slow steps' states). */
  record: StopNowRecord
  /** Set once "stop now" ended the process under this job. */
  stoppedNow: StoppedNow | null
}

/** A job "stop now" ended: its ticket's promises, settled as the fresh process answers. */
export interface StoppedNow {
  ticket: StopNowTicket
  decoded: () => void
  ready: () => void
  /** The `decode-state` request sent to the fresh process, once it was started. */
  requestId: number | null
}

/** A promise and the function that settles it. */
function settleable(): { promise: Promise<void>; settle: () => void } {
  let settle: () => void = () => undefined
  const promise = new Promise<void>((resolve) => (settle = resolve))
  return { promise, settle }
}

/**
 * "Stop now" begun for a running job: the ticket the caller gets, with the functions that
 * settle its promises as the fresh process answers.
 */
export function stoppedNow(record: StopNowRecord, exited: Promise<void>): StoppedNow {
  const decoded = settleable()
  const ready = settleable()
  const ticket: StopNowTicket = {
    step: record.lastState?.step ?? null,
    exited,
    decoded: decoded.promise,
    ready: ready.promise
  }
  return { ticket, decoded: decoded.settle, ready: ready.settle, requestId: null }
}

/**
 * Why a stopped run has no image of its last finished step (the fresh process could not decode
 * it), or null: it has one, or no step had finished, so there was none to make.
 */
export function decodeProblem(
  record: StopNowRecord,
  decoded: DecodedState | null,
  reason: string | undefined
): string | null {
  const step = record.lastState?.step ?? null
  return step === null
    ? null
    : decoded === null
      ? `the image of step ${step + 1} could not be decoded: ${reason ?? 'unknown reason'}`
      : null
}

/**
 * What main keeps of a running job so that "stop now" can end the inference process in the
 * middle of a step and still give the last finished step as the result: the file the process
 * appends its slow steps' run states to (step-state-journal.ts), read once the process is ended,
 * and what the result reports (step times, the live guidance's last word).
 */
export class StopNowRecord {
  /** The newest step state read from the journal, or null (none yet, or not read yet). */
  lastState: RunSnapshot | null = null
  /** Every state read, oldest first. */
  private states: RunSnapshot[] = []
  private stepMs = 0
  private unetMs = 0
  private cutoff: CutoffReport | null = null

  constructor(
    readonly request: GenerationRequest,
    /** The job's step-state journal, which the inference process appends to. */
    readonly journal: string
  ) {}

  /** Takes what it needs from a message about this job. */
  observe(message: InferenceMessage): void {
    if (message.type === 'step') {
      this.stepMs += message.step.ms
      this.unetMs += message.step.unetMs
    } else if (message.type === 'cutoff') {
      this.cutoff = message.report
    }
  }

  /**
   * Reads the journal as it stands: the states written so far. Once the process is ended this is
   * every state it wrote (a record cut short by the kill is left out).
   */
  readStates(): RunSnapshot | null {
    this.states = readStepStateJournal(this.journal)
    this.lastState = this.states[this.states.length - 1] ?? null
    return this.lastState
  }

  /** Deletes the journal: the job is over, or its states have been read for good. */
  discardJournal(): void {
    removeStepStateJournal(this.journal)
  }

  /**
   * The stopped run's result, as a regular stop would have reported it: the image decoded from
   * the last step's latents (none when no step finished or the decode failed, `problem` saying
   * why), interrupted, with that step's state to continue from.
   */
  result(decoded: DecodedState | null, problem: string | null): GenerationResult {
    const { request, lastState: state, cutoff } = this
    const image = decoded?.images[0]
    const resumedFromStep = request.resumeFrom?.step ?? null
    const scale = state?.params['guidanceScale']
    // An image run's state holds no picture, noise or mask: it cannot be continued.
    const continuable = state !== null && (request.initImage ?? null) === null
    const kept = request.keepSnapshots === 'steps' ? this.states : state === null ? [] : [state]
    return {
      images: decoded?.images ?? [],
      family: decoded?.family ?? state?.model.family ?? 'sd',
      seed: request.seed,
      width: image?.width ?? request.width ?? 0,
      height: image?.height ?? request.height ?? 0,
      scheduler: decoded?.scheduler ?? request.scheduler ?? 'EulerDiscreteScheduler',
      numInferenceSteps: state?.numInferenceSteps ?? request.numInferenceSteps ?? 0,
      numTimesteps: decoded?.numTimesteps ?? state?.timesteps.length ?? 0,
      strength: decoded?.strength ?? null,
      startStep: decoded?.startStep ?? 0,
      useKarrasSigmas: decoded?.useKarrasSigmas ?? request.useKarrasSigmas,
      ...(decoded?.algorithmType === undefined ? {} : { algorithmType: decoded.algorithmType }),
      guidanceScale: typeof scale === 'number' ? scale : (request.guidanceScale ?? 0),
      // As the engine counts them: a continued run's steps include its parent's.
      stepsRun: state === null ? (resumedFromStep ?? -1) + 1 : state.step + 1,
      interrupted: true,
      cfgCutoff: cutoff?.cutoff ?? request.cfgCutoff,
      cfgCutoffStep: cutoff?.locked === true ? cutoff.cutoffStep : null,
      cfgInterval: cutoff?.cfgInterval ?? request.cfgInterval,
      guidanceStartStep: cutoff?.guidanceStartStep ?? null,
      resumedFromStep,
      snapshots: continuable ? kept.filter((s) => s.step <= state.step) : [],
      provider: decoded?.provider ?? request.provider,
      totalMs: this.stepMs + (decoded?.decodeMs ?? 0),
      unetMs: this.unetMs,
      warnings: problem === null ? [] : [problem]
    }
  }
}
