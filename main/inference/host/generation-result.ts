import type { PipelineFamily, PipelineOutput, RunSnapshot } from '../../engine'
import type { SchedulePlan } from '../../jobs/run-plan'
import type { CutoffReport, GenerationRequest, GenerationResult } from '../protocol'
import { toFrame } from './protocol-values'

/** What a finished call leaves for its result, besides the pipeline's output. */
export interface GenerationOutcome {
  request: GenerationRequest
  family: PipelineFamily
  plan: SchedulePlan
  /** The live guidance's report at the end of the run. */
  final: CutoffReport
  /** Every step's snapshot, in order (none for an image run). */
  snapshots: RunSnapshot[]
  /** The distinct warnings of the run, as they were reported. */
  warnings: string[]
}

/**
 * The protocol's result of a finished call: the output's images and numbers, the plan's
 * scheduler settings, the guidance as it ended, and the snapshots the request asked to keep
 * (by default only a stopped run's last, so it can be continued).
 */
export function generationResult(
  output: PipelineOutput<'image'>,
  outcome: GenerationOutcome
): GenerationResult {
  const { request, plan, final, snapshots, warnings } = outcome
  const resume = request.resumeFrom ?? null
  const last = snapshots[snapshots.length - 1]
  const keep = request.keepSnapshots ?? 'stopped'
  const kept =
    keep === 'steps'
      ? snapshots
      : last !== undefined && (keep === 'last' || output.interrupted)
        ? [last]
        : []
  const guided = output.steps.some((s) => s.cfg) || resume?.guidance.cfg === true
  return {
    images: output.images.map(toFrame),
    family: outcome.family,
    seed: request.seed,
    width: output.width,
    height: output.height,
    scheduler: plan.schedulerName,
    numInferenceSteps: output.numInferenceSteps,
    numTimesteps: output.numTimesteps,
    strength: output.strength,
    startStep: output.startStep,
    useKarrasSigmas: plan.useKarrasSigmas,
    ...(plan.algorithmType === undefined ? {} : { algorithmType: plan.algorithmType }),
    guidanceScale: output.guidanceScale,
    stepsRun: output.stepsRun,
    interrupted: output.interrupted,
    cfgCutoff: final.cutoff,
    cfgCutoffStep: final.locked ? final.cutoffStep : null,
    cfgInterval: final.cfgInterval,
    // A continued run's guidance began in its parent: where the window starts, as planned.
    guidanceStartStep: guided
      ? resume === null
        ? final.guidanceStartStep
        : plan.guidanceStartStep
      : null,
    resumedFromStep: output.resumedFromStep,
    snapshots: kept,
    provider: output.provider,
    ...(output.unetBatchFallback !== null ? { unetBatchFallback: output.unetBatchFallback } : {}),
    totalMs: output.totalMs,
    unetMs: output.unetMs,
    warnings
  }
}
