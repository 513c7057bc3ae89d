// Test support for the live view: contract events as main sends them for one job, an event
// source with the contract's `onEvent`, animation frames a test advances by hand, and a reset of
// the stores the live view reads. Test-only; nothing in the app imports it.
import type {
  GenerateParams,
  JobState,
  ResultMetadata,
  RgbaImage,
  StepwiseApi,
  StepwiseEvent
} from '../contract'
import { previewFrames } from '../lib/preview-frames'
import { INITIAL_VALUES, useFormStore } from '../store/form-store'
import { useJobStore } from '../store/job-store'
import { useNoticeStore } from '../store/notice-store'
import { useRunPlanStore } from '../store/run-plan-store'
import { useQueueStore } from '../store/queue-store'

type JobStateEvent = Extract<StepwiseEvent, { type: 'job:state' }>
type JobStepEvent = Extract<StepwiseEvent, { type: 'job:step' }>

/** A 1×1 preview whose pixel is grey level `v` (previews are RGBA at latent resolution). */
export function previewOf(v: number): RgbaImage {
  return { width: 1, height: 1, rgba: new Uint8Array([v, v, v, 255]) }
}

/** `job:state` for `jobId`. */
export function stateEvent(
  jobId: string,
  state: JobState,
  extra: Partial<Omit<JobStateEvent, 'type' | 'jobId' | 'state'>> = {}
): JobStateEvent {
  const finished = ['done', 'stopped', 'failed', 'cancelled'].includes(state)
  return {
    type: 'job:state',
    jobId,
    state,
    position: finished ? null : 0,
    stopping: false,
    ...extra
  }
}

/** `job:step` number `index` of a run of `total` steps, guided (batch 2) unless `cfg` is false. */
export function stepEvent(
  jobId: string,
  index: number,
  total: number,
  { cfg = true, preview = previewOf(index) }: { cfg?: boolean; preview?: RgbaImage | null } = {}
): JobStepEvent {
  return {
    type: 'job:step',
    jobId,
    index,
    timestep: 999 - (index * 999) / total,
    total,
    ms: 5,
    unetMs: 4,
    unetBatch: cfg ? 2 : 1,
    cfg,
    guidanceScale: 7.5,
    endedAt: 1_700_000_000_000 + index * 5,
    preview
  }
}

/** What a run of `params` reports when it ends after `stepsRun` of `total` steps. */
export function resultOf(
  params: GenerateParams,
  seed: number,
  total: number,
  {
    stepsRun = total,
    cfgCutoffStep = null
  }: { stepsRun?: number; cfgCutoffStep?: number | null } = {}
): ResultMetadata {
  return {
    modelId: 'stepwise-shapes-64',
    modelName: 'Stepwise shapes 64',
    seed,
    width: 64,
    height: 64,
    scheduler: 'EulerDiscreteScheduler',
    useKarrasSigmas: false,
    numInferenceSteps: total,
    numTimesteps: total,
    guidanceScale: params.guidanceScale ?? 7.5,
    stepsRun,
    interrupted: stepsRun < total,
    cfgCutoff: params.cfgCutoff,
    cfgCutoffStep,
    provider: 'cpu',
    totalMs: 120,
    unetMs: 80,
    unetSavedFraction: 0,
    warnings: []
  }
}

/** An event source with the contract's `onEvent`: what the router subscribes to. */
export class EventFeed implements Pick<StepwiseApi, 'onEvent'> {
  private readonly listeners = new Set<(event: StepwiseEvent) => void>()

  onEvent(listener: (event: StepwiseEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Delivers events in order, as main's connection would. */
  emit(...events: StepwiseEvent[]): void {
    for (const event of events) for (const listener of [...this.listeners]) listener(event)
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.listeners.size
  }
}

/** Animation frames advanced by `tick()` (the FrameScheduler/FrameCanceller pair). */
export class ManualFrames {
  private callbacks = new Map<number, () => void>()
  private next = 1

  readonly schedule = (callback: () => void): number => {
    const handle = this.next++
    this.callbacks.set(handle, callback)
    return handle
  }

  readonly cancel = (handle: number): void => {
    this.callbacks.delete(handle)
  }

  /** Runs the callbacks scheduled for this frame. */
  tick(): void {
    const due = [...this.callbacks.values()]
    this.callbacks.clear()
    for (const callback of due) callback()
  }
}

/** Clears the live job, its previews, the queue, the notices and the form. */
export function resetLiveStores(): void {
  useJobStore.setState({ live: null, inspectedStep: null })
  previewFrames.reset(null)
  useQueueStore.setState({ jobs: [], error: null })
  useNoticeStore.setState({ error: null })
  useFormStore.setState({ values: INITIAL_VALUES, fieldErrors: {}, lastSeed: null })
  useRunPlanStore.setState({ numTimesteps: null })
}
