import { ratioStepIndex } from '../../../shared/cfg-cutoff'
import type { PipelineFamily } from '../models/model-index'
import type { CallbackKwargs, PipelineRunState } from './callback-types'
import {
  applyGuidanceWindow,
  checkGuidanceFamily,
  GUIDANCE_TENSOR_INPUTS,
  type GuidanceWindow
} from './cfg-interval-callback'
import { IMAGE_CONDITIONING } from './cfg-cutoff-callbacks'
import { PipelineCallback, cutoffRatioMessage } from './pipeline-callback'

/** Where guidance ends: after step index `int(T · ratio)`, after an exact index, or never (null). */
export type LiveCfgCutoff = { ratio: number } | { stepIndex: number } | null

/** A guidance interval `[start, end)`: shares of the run (`int(T · r)`), or step indices. */
export type LiveCfgInterval =
  { startRatio: number; endRatio: number } | { startStepIndex: number; endStepIndex: number }

/** The live guidance's state, as the app shows it. */
export interface LiveGuidanceReport {
  /** The cutoff now in force (null: none). */
  cutoff: LiveCfgCutoff
  /**
   * The last step index with guidance (the window's end − 1: the step at whose end guidance ends
   * or ended), or null: guidance to the end, or a ratio before the run has told the callback T.
   */
  cutoffStep: number | null
  /** True once guidance has ended: the end can no longer change. */
  locked: boolean
  /** The interval now in force (null: none, guidance from step 0). */
  interval: LiveCfgInterval | null
  /** The first step index with guidance, or null while a ratio waits for T. */
  startStep: number | null
  /** True once guidance has started: the start can no longer change. */
  startLocked: boolean
  /** The guidance scale set live (waiting for the next step, or in force), or null: the run's own. */
  guidanceScale: number | null
  /** Set when a requested change was refused, saying why. */
  refused?: string
}

/** Options of {@link LiveGuidanceCallback}. */
export interface LiveGuidanceCallbackOptions {
  /** Which conditioning tensors to halve: SD's `prompt_embeds`, or SDXL's three. */
  family: PipelineFamily
  /** The initial cutoff (default null: none). */
  cutoff?: LiveCfgCutoff
  /** The initial interval (default null: none). */
  interval?: LiveCfgInterval | null
}

/**
 * The app's guidance controls in one callback, each changeable while the run goes: a CFG cutoff
 * and a guidance interval (together the window `[start, min(intervalEnd, cutoff + 1))`), and the
 * guidance scale. Decisions are made where diffusers' callbacks act, at the end of each step for
 * the next one (and before the loop for its first step), so a change that arrives between steps
 * applies from the step after the next one. A bound whose step has been decided is locked: once
 * guidance has started the start cannot move, once it has ended the end cannot. A bound moved to
 * a step that has been decided already takes effect at the next decision, and {@link report}
 * gives that step. A new guidance scale applies from the next decision, whether guidance is on
 * then (it replaces `_guidanceScale`) or kept aside (it is the scale guidance comes back with).
 * One instance serves one run at a time; each run's loop start resets it.
 */
export class LiveGuidanceCallback extends PipelineCallback {
  readonly family: PipelineFamily
  private cutoff: LiveCfgCutoff
  private interval: LiveCfgInterval | null
  private pendingScale: number | null = null
  private appliedScale: number | null = null
  private numTimesteps: number | null = null
  /** The last step index whose guidance has been decided (−1 before the loop). */
  private decidedThrough = -1
  private startedAt: number | null = null
  private endedAt: number | null = null
  /** The run has no unconditional rows (guidance ≤ 1 from the start, or a guidance-embedding UNet). */
  private noGuidanceRows = false

  constructor(options: LiveGuidanceCallbackOptions) {
    super()
    if (options.family !== 'sd' && options.family !== 'sdxl') {
      throw new Error(`family must be 'sd' or 'sdxl', got ${JSON.stringify(options.family)}`)
    }
    this.family = options.family
    this.cutoff = validateCutoff(options.cutoff ?? null)
    this.interval = validateInterval(options.interval ?? null)
  }

  override get tensorInputs(): readonly string[] {
    return GUIDANCE_TENSOR_INPUTS[this.family]
  }

  /** An inpainting pipeline's doubled mask tensors, halved and restored with the text conditioning. */
  override get optionalTensorInputs(): readonly string[] {
    return IMAGE_CONDITIONING
  }

  /**
   * Changes the cutoff. Throws for an invalid value (a ratio outside [0, 1], a negative or
   * fractional index); once guidance has ended, returns a report with `refused` instead.
   */
  setCutoff(cutoff: LiveCfgCutoff): LiveGuidanceReport {
    const valid = validateCutoff(cutoff)
    if (this.endedAt !== null) return this.refuse(this.endedMessage('cutoff'))
    this.cutoff = valid
    return this.report()
  }

  /**
   * Changes the interval. Throws for an invalid one (start ≥ end, a ratio outside [0, 1]); a
   * bound that can no longer move (guidance started, or ended) is refused in the report.
   */
  setInterval(interval: LiveCfgInterval | null): LiveGuidanceReport {
    const valid = validateInterval(interval)
    if (this.endedAt !== null) return this.refuse(this.endedMessage('interval'))
    if (this.startedAt !== null) {
      const now = this.requestedWindow()
      const next = this.windowOf(this.cutoff, valid)
      if (now !== null && next !== null && next.start !== now.start) {
        return this.refuse(
          `guidance already started at step ${this.startedAt}; the start of the interval can no longer change`
        )
      }
    }
    this.interval = valid
    return this.report()
  }

  /**
   * Sets the guidance scale from the next decision on. Throws for a value that is not a finite
   * number above 1 (guidance ≤ 1 is no guidance: end it with the cutoff or interval instead);
   * a run without unconditional rows is refused in the report.
   */
  setGuidanceScale(scale: number): LiveGuidanceReport {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 1) {
      throw new Error(
        `a live guidance scale must be a finite number above 1 (got ${String(scale)}); to turn guidance off, move the end of the guidance range`
      )
    }
    if (this.noGuidanceRows) return this.refuse(NO_ROWS)
    this.pendingScale = scale
    return this.report()
  }

  /** The settings in force and their effective steps. */
  report(): LiveGuidanceReport {
    const window = this.effectiveWindow()
    const T = this.numTimesteps
    const toTheEnd =
      window === null || window.end === Number.POSITIVE_INFINITY || (T !== null && window.end >= T)
    return {
      cutoff: this.cutoff,
      cutoffStep: this.endedAt ?? (toTheEnd ? null : window.end - 1),
      locked: this.endedAt !== null,
      interval: this.interval,
      startStep: this.startedAt ?? window?.start ?? null,
      startLocked: this.startedAt !== null,
      guidanceScale: this.pendingScale ?? this.appliedScale
    }
  }

  override onLoopStart(
    pipeline: PipelineRunState,
    firstStepIndex: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    checkGuidanceFamily('LiveGuidanceCallback', this.family, pipeline)
    // A new run (or a continued one): what was decided for the last run does not hold.
    this.decidedThrough = firstStepIndex - 1
    this.startedAt = null
    this.endedAt = null
    this.appliedScale = null
    this.decide(pipeline, callbackKwargs, firstStepIndex)
    return callbackKwargs
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    this.decide(pipeline, callbackKwargs, stepIndex + 1)
    return callbackKwargs
  }

  /** Decides guidance for step `next`. */
  private decide(pipeline: PipelineRunState, kwargs: CallbackKwargs, next: number): void {
    this.numTimesteps = pipeline.numTimesteps
    if (next >= pipeline.numTimesteps) {
      // The end of the last step: no step is left to decide for.
      this.decidedThrough = next
      return
    }
    this.noGuidanceRows = !pipeline.doClassifierFreeGuidance && pipeline._keptAside === null
    if (this.pendingScale !== null && !this.noGuidanceRows) {
      if (pipeline.doClassifierFreeGuidance) pipeline._guidanceScale = this.pendingScale
      else if (pipeline._keptAside !== null) pipeline._keptAside.guidanceScale = this.pendingScale
      this.appliedScale = this.pendingScale
      this.pendingScale = null
    }
    const window = this.requestedWindow() as GuidanceWindow
    if (this.endedAt === null) {
      const inside = next >= window.start && next < window.end
      // Guidance already on (step 0, or a continued run) began with the window, not here.
      const wasOn = pipeline.doClassifierFreeGuidance
      if (inside && this.startedAt === null) {
        this.startedAt = wasOn ? Math.min(window.start, next) : next
      }
      if (!inside && (this.startedAt !== null || next >= window.end)) {
        this.endedAt = Math.max(this.startedAt ?? 0, next - 1)
      }
      applyGuidanceWindow(pipeline, kwargs, [...this.tensorInputs, ...IMAGE_CONDITIONING], next, {
        start: window.start,
        end: this.endedAt === null ? window.end : next
      })
      if (this.endedAt !== null) pipeline._guidanceScale = 0
    }
    this.decidedThrough = next
  }

  /** The window as requested, in steps, or null while a ratio waits for T. */
  private requestedWindow(): GuidanceWindow | null {
    return this.windowOf(this.cutoff, this.interval)
  }

  private windowOf(cutoff: LiveCfgCutoff, interval: LiveCfgInterval | null): GuidanceWindow | null {
    const T = this.numTimesteps
    const step = (ratio: number): number | null => (T === null ? null : ratioStepIndex(T, ratio))
    let start: number | null = 0
    let end: number | null = Number.POSITIVE_INFINITY
    if (interval !== null) {
      if ('startRatio' in interval) {
        start = step(interval.startRatio)
        end = step(interval.endRatio)
      } else {
        start = interval.startStepIndex
        end = interval.endStepIndex
      }
    }
    if (cutoff !== null) {
      const c = 'ratio' in cutoff ? step(cutoff.ratio) : cutoff.stepIndex
      end = c === null || end === null ? null : Math.min(end, c + 1)
    }
    if (start === null || end === null) return null
    return { start, end: T === null ? end : Math.min(end, T) }
  }

  /** The window as it will act: a bound whose step has been decided moves to the next decision. */
  private effectiveWindow(): GuidanceWindow | null {
    const w = this.requestedWindow()
    if (w === null) return null
    const next = this.decidedThrough + 1
    return {
      start: this.startedAt ?? Math.max(w.start, next),
      end: this.endedAt !== null ? this.endedAt + 1 : Math.max(w.end, next)
    }
  }

  private endedMessage(what: 'cutoff' | 'interval'): string {
    return `guidance already ended after step ${this.endedAt}; the ${what} can no longer change`
  }

  private refuse(message: string): LiveGuidanceReport {
    return { ...this.report(), refused: message }
  }
}

const NO_ROWS =
  'this run has no unconditional embeddings (it started with guidance 1 or less), so its guidance scale cannot change'

/** Checks a cutoff; the messages are diffusers' where it has one. */
export function validateCutoff(cutoff: LiveCfgCutoff): LiveCfgCutoff {
  if (cutoff === null) return null
  if ('ratio' in cutoff) {
    const r = cutoff.ratio
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) {
      throw new Error(cutoffRatioMessage(r))
    }
    return { ratio: r }
  }
  if ('stepIndex' in cutoff) {
    const i = cutoff.stepIndex
    if (!Number.isInteger(i) || i < 0) {
      throw new Error(`the cutoff step index must be a non-negative integer, got ${String(i)}`)
    }
    return { stepIndex: i }
  }
  throw new Error('a CFG cutoff is { ratio }, { stepIndex } or null')
}

/** Checks an interval: ratios in [0, 1] or non-negative indices, start below end. */
export function validateInterval(interval: LiveCfgInterval | null): LiveCfgInterval | null {
  if (interval === null) return null
  if ('startRatio' in interval) {
    const { startRatio: s, endRatio: e } = interval
    for (const [name, v] of [
      ['start', s],
      ['end', e]
    ] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
        throw new Error(
          `the interval's ${name} must be a share of the steps from 0 to 1, got ${String(v)}`
        )
      }
    }
    if (s >= e) {
      throw new Error(`the interval's start (${s}) must be below its end (${e})`)
    }
    return { startRatio: s, endRatio: e }
  }
  if ('startStepIndex' in interval) {
    const { startStepIndex: s, endStepIndex: e } = interval
    for (const [name, v] of [
      ['start', s],
      ['end', e]
    ] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(
          `the interval's ${name} step must be a non-negative integer, got ${String(v)}`
        )
      }
    }
    if (s >= e) {
      throw new Error(`the interval's start step (${s}) must be below its end step (${e})`)
    }
    return { startStepIndex: s, endStepIndex: e }
  }
  throw new Error(
    'a guidance interval is { startRatio, endRatio }, { startStepIndex, endStepIndex } or null'
  )
}
