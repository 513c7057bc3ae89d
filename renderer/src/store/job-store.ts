import { create } from 'zustand'
import { cutoffStepIndex } from '../../../shared/cfg-cutoff'
import { guidanceWindow, type GuidanceWindowSteps } from '../../../shared/guidance-window'
import { isTerminalJobState } from '../contract'
import type {
  CfgCutoffState,
  GenerateParams,
  JobState,
  LiveJobSnapshot,
  ModelLoadProgress,
  ResultMetadata,
  RgbaImage,
  StepReport
} from '../contract'

/** One finished denoising step as the gallery shows it (the pixels live in previewFrames). */
export interface LiveStep extends Omit<StepReport, 'endedAt'> {
  hasPreview: boolean
}

/** The job shown in the live view: the running one, else the last one that ran. */
export interface LiveJob {
  jobId: string
  /** Null until known: a job can be adopted from its first event, before generate() replies. */
  seed: number | null
  params: GenerateParams | null
  state: JobState
  /** Stop was pressed; the run ends at the next step boundary. */
  stopping: boolean
  /** When each phase began (ms since page load), for phase durations. */
  phaseStartedAt: Partial<Record<JobState, number>>
  steps: LiveStep[]
  /** T: as main planned it (the job's ticket or summary), then as the engine reports it. */
  total: number
  cutoff: CfgCutoffState | null
  result: ResultMetadata | null
  finalImage: RgbaImage | null
  /** Every image of a run that made several (images per prompt), with their history entries. */
  batch: { image: RgbaImage; historyId: string | null }[]
  historyId: string | null
  historyError: string | null
  failure: string | null
  /**
   * What main said when the job ended as stopped (a job stopped now: the step it stopped at,
   * and that its image comes once the model has reloaded), or null.
   */
  stopNote: string | null
  warnings: string[]
  /** While loading: the model component being loaded, or the last one loaded. */
  load?: ModelLoadProgress | null
}

/** The live-view store. */
export interface JobStoreState {
  live: LiveJob | null
  /** A step opened for inspection; null follows the newest step. */
  inspectedStep: number | null
  /** Shows a job in the live view (state `queued`), or fills in what an adopted one lacked. */
  begin(
    jobId: string,
    seed: number | null,
    params: GenerateParams | null,
    numTimesteps: number,
    state?: JobState
  ): void
  /**
   * Takes over the running job as main describes it to a page that connects mid-run: its
   * parameters, state, steps so far, cutoff and warnings (events then continue from there).
   */
  adopt(snapshot: LiveJobSnapshot, at: number): void
  applyState(jobId: string, state: JobState, message: string | undefined, at: number): void
  addSteps(jobId: string, steps: LiveStep[]): void
  applyCutoff(jobId: string, cutoff: CfgCutoffState): void
  applyDone(
    jobId: string,
    image: RgbaImage,
    result: ResultMetadata,
    historyId: string | null,
    historyError: string | null,
    batch?: { image: RgbaImage; historyId: string | null }[]
  ): void
  addWarning(jobId: string, message: string): void
  markStopping(jobId: string): void
  /** The component the job's model is loading (from `job:state`), or null once not loading. */
  applyLoad(jobId: string, load: ModelLoadProgress | null): void
  inspect(index: number | null): void
  /** Opens step `index` for inspection, or closes it when it is the one open. */
  toggleInspect(index: number): void
}

/** Whether a job is past queueing and not yet finished. */
export function isActive(state: JobState): boolean {
  return state !== 'queued' && !isTerminalJobState(state)
}

function update(
  live: LiveJob | null,
  jobId: string,
  change: (job: LiveJob) => Partial<LiveJob>
): { live: LiveJob } | Record<string, never> {
  if (live === null || live.jobId !== jobId) return {}
  const patch = change(live)
  // Nothing changed: keep the object, so no subscriber re-renders.
  if (Object.keys(patch).length === 0) return {}
  return { live: { ...live, ...patch } }
}

/** The live-view store. */
export const useJobStore = create<JobStoreState>()((set) => ({
  live: null,
  inspectedStep: null,
  begin(jobId, seed, params, numTimesteps, state = 'queued') {
    set((s) => {
      if (s.live?.jobId === jobId) {
        // Events of this job came before the reply that named it: keep what they brought.
        const steps = s.live.steps
        return {
          live: {
            ...s.live,
            seed: seed ?? s.live.seed,
            params: params ?? s.live.params,
            total: steps.length > 0 ? s.live.total : numTimesteps
          }
        }
      }
      return {
        inspectedStep: null,
        live: {
          jobId,
          seed,
          params,
          state,
          stopping: false,
          phaseStartedAt: {},
          steps: [],
          total: numTimesteps,
          cutoff: null,
          result: null,
          finalImage: null,
          batch: [],
          historyId: null,
          historyError: null,
          failure: null,
          stopNote: null,
          warnings: []
        }
      }
    })
  },
  adopt(snapshot, at) {
    const { job } = snapshot
    set((s) => {
      const same = s.live?.jobId === job.jobId ? s.live : null
      const steps: LiveStep[] = snapshot.steps.map((report) => {
        const { endedAt: _endedAt, ...step } = report
        return { ...step, hasPreview: step.index === snapshot.preview?.index }
      })
      // Steps this page already had (events that came before the answer) keep their preview flag.
      const known = new Map((same?.steps ?? []).map((step) => [step.index, step]))
      const merged = steps.map((step) => known.get(step.index) ?? step)
      const later = (same?.steps ?? []).filter(
        (step) => step.index > (merged[merged.length - 1]?.index ?? -1)
      )
      return {
        inspectedStep: same === null ? null : s.inspectedStep,
        live: {
          jobId: job.jobId,
          seed: job.seed,
          params: job.params,
          state: same?.state ?? job.state,
          stopping: job.stopping || (same?.stopping ?? false),
          phaseStartedAt: same?.phaseStartedAt ?? { [job.state]: at },
          steps: [...merged, ...later],
          total: merged[merged.length - 1]?.total ?? job.numTimesteps,
          cutoff: snapshot.cutoff,
          result: null,
          finalImage: null,
          batch: [],
          historyId: null,
          historyError: null,
          failure: null,
          stopNote: null,
          warnings: [...new Set([...snapshot.warnings, ...(same?.warnings ?? [])])]
        }
      }
    })
  },
  applyState(jobId, state, message, at) {
    set((s) =>
      update(s.live, jobId, (job) => ({
        state,
        failure: state === 'failed' ? (message ?? 'the job failed') : job.failure,
        stopNote: state === 'stopped' ? (message ?? job.stopNote) : job.stopNote,
        stopping: isTerminalJobState(state) ? false : job.stopping,
        phaseStartedAt: { ...job.phaseStartedAt, [state]: job.phaseStartedAt[state] ?? at }
      }))
    )
  },
  addSteps(jobId, steps) {
    set((s) =>
      update(s.live, jobId, (job) => {
        // A page that connected mid-run may hear a step both in main's snapshot and as an event:
        // steps arrive in order, so only those after the newest one it has are new.
        const newest = job.steps[job.steps.length - 1]?.index ?? -1
        const fresh = steps.filter((step) => step.index > newest)
        if (fresh.length === 0) return {}
        const last = fresh[fresh.length - 1]
        return { steps: [...job.steps, ...fresh], total: last?.total ?? job.total }
      })
    )
  },
  applyCutoff(jobId, cutoff) {
    set((s) => update(s.live, jobId, () => ({ cutoff })))
  },
  applyDone(jobId, image, result, historyId, historyError, batch = []) {
    set((s) =>
      update(s.live, jobId, () => ({
        finalImage: image,
        batch,
        result,
        historyId,
        historyError,
        total: result.numTimesteps
      }))
    )
  },
  addWarning(jobId, message) {
    set((s) => update(s.live, jobId, (job) => ({ warnings: [...job.warnings, message] })))
  },
  markStopping(jobId) {
    set((s) => update(s.live, jobId, () => ({ stopping: true })))
  },
  applyLoad(jobId, load) {
    set((s) => update(s.live, jobId, (job) => ((job.load ?? null) === load ? {} : { load })))
  },
  inspect(index) {
    set({ inspectedStep: index })
  },
  toggleInspect(index) {
    set((s) => ({ inspectedStep: s.inspectedStep === index ? null : index }))
  }
}))

/**
 * Whether an event about job `jobId` in `state` should take over the live view. The live view
 * follows the job that runs: a new job replaces a finished one, and a running job replaces one
 * that is only waiting; a running job is never replaced.
 */
export function takesOverLiveView(live: LiveJob | null, jobId: string, state: JobState): boolean {
  if (live?.jobId === jobId || isTerminalJobState(state)) return false
  if (live === null || isTerminalJobState(live.state)) return true
  return isActive(state) && live.state === 'queued'
}

/**
 * Whether the live job's cutoff can no longer move: guidance has ended (the inference process says so, or
 * the run has finished the cutoff step). Finished jobs do not lock the control for the next run.
 */
export function cutoffLocked(live: LiveJob | null): boolean {
  if (live === null || isTerminalJobState(live.state)) return false
  if (live.cutoff?.locked === true) return true
  const step =
    live.cutoff !== null
      ? live.cutoff.cutoffStep
      : cutoffStepIndex(live.total, live.params?.cfgCutoff ?? null)
  const last = live.steps[live.steps.length - 1]
  return step !== null && last !== undefined && last.index >= step
}

/**
 * Whether the live job's guidance start can no longer move: guidance has started (the inference
 * process says so, or a guided step has run). Finished jobs lock nothing for the next run.
 */
export function startLocked(live: LiveJob | null): boolean {
  if (live === null || isTerminalJobState(live.state)) return false
  if (live.cutoff !== null) return live.cutoff.startLocked
  return live.steps.some((s) => s.cfg)
}

/**
 * The live job's guidance window in steps: as the inference process last reported it, else as
 * its parameters plan it.
 */
export function liveWindow(live: LiveJob): GuidanceWindowSteps {
  const planned = guidanceWindow(
    live.total,
    live.params?.cfgCutoff ?? null,
    live.params?.cfgInterval ?? null
  )
  const c = live.cutoff
  if (c === null) return planned
  return {
    start: c.guidanceStartStep ?? planned.start,
    end: c.cutoffStep === null ? live.total : c.cutoffStep + 1
  }
}
