import { performance } from 'node:perf_hooks'
import type { CfgCutoff } from '../../../shared/params'
import { CfgCutoffSchema } from '../../../shared/params'
import type { PipelineOutput, PreviewFrame, RgbaImage } from '../../engine'
import {
  Generator,
  LiveCfgCutoffCallback,
  MultiPipelineCallbacks,
  PreviewCallback,
  StopCallback
} from '../../engine'
import { imagePipelineFor, imageRunNotices, rgbaOf } from './image-inputs'
import { checkStepIndices, planSchedule } from '../../jobs/run-plan'
import type { SchedulePlan } from '../../jobs/run-plan'
import type {
  CutoffReport,
  GenerationRequest,
  GenerationResult,
  InferencePhase,
  RgbaFrame,
  InferenceStep
} from '../protocol'
import { explainFailure } from './explain-failure'
import type { GenerationHooks, GenerationRun } from './generation-hooks'
import type { CachedPipeline, PipelineCache } from './pipeline-cache'

/**
 * One generation from a {@link GenerationRequest}: load (or reuse) the pipeline, set the
 * scheduler, seed the generator, attach Stepwise's callbacks (live CFG cutoff, stop, previews),
 * run, and report every step. Used by the inference process and, in-process, by the CLI.
 */

/** Copies pixels into an ArrayBuffer of exactly their size, so it can be transferred alone. */
export function toFrame(image: RgbaImage): RgbaFrame {
  const { data } = image
  const exact = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  const rgba = exact && data.buffer instanceof ArrayBuffer ? data.buffer : data.slice().buffer
  return { width: image.width, height: image.height, rgba: rgba as ArrayBuffer }
}

/**
 * Plans the run on the loaded pipeline (main/jobs/run-plan.ts, as main's queue planned it
 * before queueing) and sets its scheduler. Refuses a cutoff or stop index the run would never
 * reach before anything runs: main's queue checked the same, this covers the CLI and direct
 * clients of the inference process.
 */
function applyPlan(cached: CachedPipeline, request: GenerationRequest): SchedulePlan {
  const numInferenceSteps = request.numInferenceSteps ?? cached.pipe.defaults.numInferenceSteps
  const strength =
    request.initImage === undefined || request.initImage === null
      ? null
      : (request.strength ?? 0.75)
  const settings = { ...request, numInferenceSteps, strength }
  const plan = planSchedule(cached.modelScheduler, settings)
  checkStepIndices(settings, plan.numTimesteps, plan.schedulerName)
  cached.pipe.scheduler = plan.scheduler
  return plan
}

/**
 * Starts a generation. The returned controls work from the moment it is called: a stop or a
 * cutoff change that arrives while the model is loading applies when the loop starts.
 */
export function startGeneration(
  request: GenerationRequest,
  hooks: GenerationHooks,
  cache: PipelineCache
): GenerationRun {
  const stopCallback = new StopCallback({ stopAtStepIndex: request.stopAtStep })
  let liveCutoff: LiveCfgCutoffCallback | null = null
  let pendingCutoff: CfgCutoff | null = request.cfgCutoff
  let lastPhase: InferencePhase | null = null
  let lastLocked = false
  const warnings: string[] = []

  const phase = (p: InferencePhase): void => {
    if (p === lastPhase) return
    lastPhase = p
    hooks.phase(p)
  }
  // Each distinct warning is reported once: load-time ones go out as soon as loading is done
  // and come back with the result.
  const warn = (message: string): void => {
    if (warnings.includes(message)) return
    warnings.push(message)
    hooks.warning(message)
  }
  const cutoffReport = (): CutoffReport =>
    liveCutoff !== null
      ? liveCutoff.report()
      : { cutoff: pendingCutoff, cutoffStep: null, locked: false }

  const run = async (): Promise<GenerationResult> => {
    if (!cache.has(request.modelDir, request.provider)) phase('loading')
    const cached = await cache.get(request.modelDir, request.provider)
    const { pipe } = cached
    const plan = applyPlan(cached, request)
    for (const message of plan.warnings) warn(message)
    liveCutoff = new LiveCfgCutoffCallback({ family: pipe.family, cutoff: pendingCutoff })

    const previews = new Map<number, RgbaFrame>()
    const preview = new PreviewCallback({
      every: request.previewEvery,
      onPreview: (frame: PreviewFrame) => {
        previews.set(frame.stepIndex, toFrame(frame))
      }
    })
    const initImage = request.initImage ?? null
    const mask = initImage === null ? null : (request.mask ?? null)
    if (initImage !== null) {
      for (const message of imageRunNotices(request, initImage, mask)) warn(message)
    }
    const runner = initImage === null ? null : imagePipelineFor(pipe, mask !== null)
    const imageOptions =
      initImage === null
        ? null
        : {
            image: rgbaOf(initImage),
            strength: request.strength ?? 0.75,
            ...(mask === null ? {} : { maskImage: rgbaOf(mask) })
          }
    const call = (
      options: Parameters<typeof pipe.call<'image'>>[0]
    ): Promise<PipelineOutput<'image'>> =>
      runner === null || imageOptions === null
        ? pipe.call<'image'>(options)
        : runner.call({ ...options, ...imageOptions, outputType: 'image' })
    const output = await call({
      prompt: request.prompt,
      negativePrompt: request.negativePrompt,
      numInferenceSteps: request.numInferenceSteps,
      guidanceScale: request.guidanceScale,
      guidanceRescale: request.guidanceRescale,
      width: request.width,
      height: request.height,
      numImagesPerPrompt: request.numImagesPerPrompt,
      generator: new Generator().manualSeed(request.seed),
      outputType: 'image',
      callbackOnStepEnd: new MultiPipelineCallbacks([liveCutoff, stopCallback, preview]),
      onPhase: (p) => {
        // A stop that came while loading or encoding must not let step 0 run: the call cleared
        // the interrupt flag when it started, and the stop callback only sets it after a step.
        if (p === 'denoising' && stopCallback.stopRequested) pipe.interrupt = true
        // Loading is over: say now, not after the run, that a graph fell back to the CPU (a
        // slow SDXL run on CPU should not look like a slow GPU run until it ends).
        if (p !== 'loading') for (const message of pipe.loadTimeWarnings) warn(message)
        phase(p)
      },
      onStepEnd: (info) => {
        // Stamped first, before the report is built and sent: the moment the step (its callbacks
        // and preview included) ended, on a clock other processes on this machine share.
        const endedAt = performance.timeOrigin + performance.now()
        const step: InferenceStep = {
          index: info.index,
          timestep: info.timestep,
          total: info.numTimesteps,
          ms: info.ms,
          unetMs: info.unetMs,
          unetBatch: info.unetBatch,
          cfg: info.cfg,
          endedAt,
          preview: previews.get(info.index) ?? null
        }
        previews.delete(info.index)
        hooks.step(step)
        const report = cutoffReport()
        if (report.locked !== lastLocked) {
          lastLocked = report.locked
          hooks.cutoff(report)
        }
      }
    })

    for (const message of output.warnings) warn(message)
    const finalCutoff = liveCutoff.report()
    return {
      images: output.images.map(toFrame),
      family: pipe.family,
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
      cfgCutoff: finalCutoff.cutoff,
      cfgCutoffStep: finalCutoff.locked ? finalCutoff.cutoffStep : null,
      provider: output.provider,
      ...(output.unetBatchFallback !== null ? { unetBatchFallback: output.unetBatchFallback } : {}),
      totalMs: output.totalMs,
      unetMs: output.unetMs,
      warnings
    }
  }

  return {
    stop: () => stopCallback.stop(),
    setCfgCutoff: (cutoff) => {
      if (liveCutoff === null) {
        // Still loading: keep it for the callback, but check it now, so a bad value is refused
        // here instead of failing the job when the callback is built.
        const checked = CfgCutoffSchema.nullable().safeParse(cutoff)
        if (!checked.success) {
          return {
            ...cutoffReport(),
            refused: `invalid CFG cutoff: ${checked.error.issues[0]?.message}`
          }
        }
        pendingCutoff = checked.data
        return cutoffReport()
      }
      try {
        return liveCutoff.set(cutoff)
      } catch (error) {
        return { ...liveCutoff.report(), refused: (error as Error).message }
      }
    },
    result: run().catch((error: unknown) => {
      throw explainFailure(error)
    })
  }
}
