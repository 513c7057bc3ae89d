import { performance } from 'node:perf_hooks'
import type { CfgCutoff, SchedulerClassName } from '../../../shared/params'
import { CfgCutoffSchema, SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import type { PreviewFrame, RgbaImage } from '../../engine'
import {
  createScheduler,
  Generator,
  LiveCfgCutoffCallback,
  MultiPipelineCallbacks,
  PreviewCallback,
  StopCallback
} from '../../engine'
import { stepIndexProblems } from '../../jobs/step-index-bounds'
import type {
  CutoffReport,
  GenerationRequest,
  GenerationResult,
  InferencePhase,
  RgbaFrame,
  StepReport
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

/** Sets the job's scheduler: the model's own unless the request names one; Karras on request. */
function configureScheduler(
  cached: CachedPipeline,
  request: GenerationRequest,
  warn: (message: string) => void
): void {
  const base = cached.modelScheduler
  if (request.scheduler === undefined && !request.useKarrasSigmas) {
    cached.pipe.scheduler = base
    return
  }
  const name = request.scheduler ?? base.className
  const overrides: Record<string, unknown> = {}
  if (request.useKarrasSigmas) {
    // diffusers ignores config keys a class does not have; say so instead of silently. A config
    // built from nothing has exactly the class's own keys (a model's config may carry others).
    if ('use_karras_sigmas' in createScheduler(name).config) overrides.use_karras_sigmas = true
    else warn(`${name} has no Karras sigmas option; running it without`)
  }
  cached.pipe.scheduler = createScheduler(name, base.config, overrides)
}

/**
 * Refuses a cutoff or stop index the run would never reach, before anything runs (main's queue
 * checks the same before queueing; this covers the CLI and direct clients of the inference
 * process).
 */
function checkStepIndices(pipe: CachedPipeline['pipe'], request: GenerationRequest): void {
  if (request.stopAtStep === null && (request.cfgCutoff === null || 'ratio' in request.cfgCutoff)) {
    return
  }
  const numInferenceSteps = request.numInferenceSteps ?? pipe.defaults.numInferenceSteps
  // A copy: the pipeline sets its own scheduler's timesteps when the call starts.
  const probe = createScheduler(
    pipe.scheduler.className as SchedulerClassName,
    pipe.scheduler.config
  )
  probe.setTimesteps(numInferenceSteps)
  const problems = stepIndexProblems({
    cfgCutoff: request.cfgCutoff,
    stopAtStep: request.stopAtStep,
    numInferenceSteps,
    numTimesteps: probe.timesteps.length,
    scheduler: probe.className
  })
  if (problems.length > 0) throw new Error(problems.join('; '))
}

function isSchedulerName(name: string): name is SchedulerClassName {
  return (SCHEDULER_CLASS_NAMES as readonly string[]).includes(name)
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
    configureScheduler(cached, request, warn)
    checkStepIndices(pipe, request)
    liveCutoff = new LiveCfgCutoffCallback({ family: pipe.family, cutoff: pendingCutoff })

    const previews = new Map<number, RgbaFrame>()
    const preview = new PreviewCallback({
      every: request.previewEvery,
      onPreview: (frame: PreviewFrame) => {
        previews.set(frame.stepIndex, toFrame(frame))
      }
    })
    const output = await pipe.call({
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
        const step: StepReport = {
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
    const scheduler = output.scheduler
    if (!isSchedulerName(scheduler)) throw new Error(`unexpected scheduler ${scheduler}`)
    const finalCutoff = liveCutoff.report().cutoff
    return {
      images: output.images.map(toFrame),
      family: pipe.family,
      seed: request.seed,
      width: output.width,
      height: output.height,
      scheduler,
      numInferenceSteps: output.numInferenceSteps,
      numTimesteps: output.numTimesteps,
      useKarrasSigmas: pipe.scheduler.config.use_karras_sigmas === true,
      guidanceScale: output.guidanceScale,
      stepsRun: output.stepsRun,
      interrupted: output.interrupted,
      cfgCutoff: finalCutoff,
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
