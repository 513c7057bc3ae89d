import type { ResultMetadata, RgbaImage } from '../../shared/contract'
import type { GenerationResult, RgbaFrame } from '../inference/protocol'
import type { Job } from './job'
import { unetSavedFraction } from './unet-savings'

/** A frame from the inference process (a transferred ArrayBuffer) as the contract's image. */
export function toRgbaImage(frame: RgbaFrame): RgbaImage {
  return { width: frame.width, height: frame.height, rgba: new Uint8Array(frame.rgba) }
}

/**
 * What a finished run reports and history stores; `parentHistoryId` is the history entry of the
 * run a continued one came from, when it was stored.
 */
export function resultMetadata(
  job: Job,
  result: GenerationResult,
  parentHistoryId: string | null = null
): ResultMetadata {
  const warnings = [...new Set([...job.warnings, ...result.warnings])]
  if (result.unetBatchFallback !== undefined) warnings.push(result.unetBatchFallback)
  return {
    modelId: job.model.id,
    modelName: job.model.name,
    seed: result.seed,
    width: result.width,
    height: result.height,
    scheduler: result.scheduler,
    useKarrasSigmas: result.useKarrasSigmas,
    ...(result.algorithmType === undefined ? {} : { algorithmType: result.algorithmType }),
    numInferenceSteps: result.numInferenceSteps,
    numTimesteps: result.numTimesteps,
    guidanceScale: result.guidanceScale,
    stepsRun: result.stepsRun,
    interrupted: result.interrupted,
    cfgCutoff: result.cfgCutoff,
    cfgCutoffStep: result.cfgCutoffStep,
    ...(result.strength === null ? {} : { strength: result.strength, startStep: result.startStep }),
    cfgInterval: result.cfgInterval,
    guidanceStartStep: result.guidanceStartStep,
    resumedFrom:
      job.resume === null || result.resumedFromStep === null
        ? null
        : {
            step: result.resumedFromStep,
            parentSeed: job.resume.parentSeed,
            parentPrompt: job.resume.parentPrompt,
            parentHistoryId
          },
    provider: result.provider,
    totalMs: result.totalMs,
    unetMs: result.unetMs,
    unetSavedFraction: unetSavedFraction(job.steps, result.guidanceScale),
    ...(job.plan.memoryMode === 'normal' || job.plan.memoryNote === null
      ? {}
      : { memoryMode: job.plan.memoryMode, memoryNote: job.plan.memoryNote }),
    warnings
  }
}
