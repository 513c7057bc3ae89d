import { performance } from 'node:perf_hooks'
import { CfgCutoffSchema, CfgIntervalSchema } from '../../../shared/params'
import type { CfgCutoff, CfgInterval } from '../../../shared/params'
import type {
  ClipTokenizer,
  PipelineOutput,
  PreviewFrame,
  RgbaImage,
  RunSnapshot,
  StableDiffusionCallOptions,
  StableDiffusionXLCallOptions
} from '../../engine'
import {
  checkSnapshotModel,
  checkSnapshotScheduler,
  Generator,
  isTruncationWarning,
  LiveGuidanceCallback,
  loadPromptTokenizer,
  MultiPipelineCallbacks,
  PreviewCallback,
  promptLength,
  StopCallback,
  truncationNotice
} from '../../engine'
import { imagePipelineFor, imageRunNotices, rgbaOf, type ImageRunOptions } from './image-inputs'
import type { LiveGuidanceReport } from '../../engine'
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
import { STEP_STATE_AFTER_MS } from '../protocol'
import { explainFailure } from './explain-failure'
import type { GenerationHooks, GenerationRun } from './generation-hooks'
import type { CachedPipeline, PipelineCache } from './pipeline-cache'

/** Options both text-to-image pipelines take (each types its callbacks by its own class). */
type TextToImageOptions = StableDiffusionCallOptions<'image'> &
  StableDiffusionXLCallOptions<'image'>

/**
 * One generation from a {@link GenerationRequest}: load (or reuse) the pipeline, set the
 * scheduler, seed the generator (or take a snapshot's state to continue a run), attach
 * Stepwise's callbacks (live guidance, stop, previews), run, and report every step. Every
 * step's snapshot is kept in memory for branching. Used by the inference process and,
 * in-process, by the CLI.
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
 * before queueing) and sets its scheduler. Refuses a cutoff, interval, stop or resume index the
 * run would never reach, and a continued run whose scheduler is not its snapshot's, before
 * anything runs: main's queue checked the same, this covers the CLI and direct clients of the
 * inference process.
 */
export function applyPlan(cached: CachedPipeline, request: GenerationRequest): SchedulePlan {
  const plan = planOn(cached, request)
  cached.pipe.scheduler = plan.scheduler
  return plan
}

/** {@link applyPlan} without setting the scheduler: what the run is, for a stopped run's result. */
export function planOn(cached: CachedPipeline, request: GenerationRequest): SchedulePlan {
  const numInferenceSteps = request.numInferenceSteps ?? cached.pipe.defaults.numInferenceSteps
  const strength =
    request.initImage === undefined || request.initImage === null
      ? null
      : (request.strength ?? 0.75)
  const settings = { ...request, numInferenceSteps, strength }
  const plan = planSchedule(cached.modelScheduler, settings)
  const resume = request.resumeFrom ?? null
  checkStepIndices(
    { ...settings, resumeFrom: resume === null ? null : { step: resume.step } },
    plan.numTimesteps,
    plan.schedulerName
  )
  if (resume !== null) checkSnapshotScheduler(resume, plan.scheduler)
  return plan
}

/**
 * The memory mode the run plan chose (it checked the size against the app's limit before
 * queueing): set on the cached pipeline for this run, whatever an earlier run left.
 */
function applyMemoryMode(
  pipe: CachedPipeline['pipe'],
  mode: NonNullable<GenerationRequest['memoryMode']>
): void {
  if (mode === 'low-memory') {
    pipe.enableLowMemoryMode('always')
    return
  }
  pipe.disableLowMemoryMode()
  if (mode === 'vae-tiles') pipe.enableVaeTiling('always')
  else pipe.disableVaeTiling()
}

/** The last model's prompt tokenizer, for the truncation notices (tokenizers hold no native memory). */
let promptTokenizer: { modelDir: string; tokenizer: Promise<ClipTokenizer> } | null = null

/**
 * Short notices for a prompt or negative prompt longer than the model reads. They replace the
 * engine's diffusers-worded warning, which quotes the whole dropped text (thousands of characters
 * for a pasted essay, replacement characters when a cut falls inside an emoji) and says nothing
 * about the negative prompt, which is cut all the same.
 */
async function truncationNotices(request: GenerationRequest, cfg: boolean): Promise<string[]> {
  if (promptTokenizer?.modelDir !== request.modelDir) {
    const tokenizer = loadPromptTokenizer(request.modelDir)
    tokenizer.catch(() => (promptTokenizer = null))
    promptTokenizer = { modelDir: request.modelDir, tokenizer }
  }
  const tokenizer = await promptTokenizer.tokenizer
  const notices = [truncationNotice('The prompt', promptLength(tokenizer, request.prompt))]
  if (cfg) {
    notices.push(
      truncationNotice('The negative prompt', promptLength(tokenizer, request.negativePrompt))
    )
  }
  return notices.filter((n): n is string => n !== null)
}

/** The live guidance's report in the protocol's terms. */
function protocolReport(report: LiveGuidanceReport): CutoffReport {
  const { interval, startStep, ...rest } = report
  return { ...rest, cfgInterval: interval, guidanceStartStep: startStep }
}

/** The parent's request as its snapshots keep it (empty for a snapshot made elsewhere). */
function snapshotRequest(snapshot: RunSnapshot): Partial<GenerationRequest> {
  const meta = snapshot.meta.request
  return meta !== null && typeof meta === 'object' ? (meta as Partial<GenerationRequest>) : {}
}

/**
 * Starts a generation. The returned controls work from the moment it is called: a stop or a
 * guidance change that arrives while the model is loading applies when the loop starts.
 */
export function startGeneration(
  request: GenerationRequest,
  hooks: GenerationHooks,
  cache: PipelineCache
): GenerationRun {
  const stopCallback = new StopCallback({ stopAtStepIndex: request.stopAtStep })
  let live: LiveGuidanceCallback | null = null
  const pending: { cutoff: CfgCutoff | null; interval: CfgInterval | null; scale: number | null } =
    { cutoff: request.cfgCutoff, interval: request.cfgInterval, scale: null }
  let lastPhase: InferencePhase | null = null
  let lastLocks = ''
  const warnings: string[] = []
  const snapshots: RunSnapshot[] = []
  const stateAfterMs = request.stepStateAfterMs ?? STEP_STATE_AFTER_MS
  // What a snapshot keeps of the request: enough for a later run (the CLI's --resume) to know
  // the parent's seed, prompt, model and settings. The snapshot itself is never nested.
  const { resumeFrom: _parent, ...requestMeta } = request

  const phase = (p: InferencePhase): void => {
    if (p === lastPhase) return
    lastPhase = p
    hooks.phase(p)
  }
  // Each distinct warning is reported once: load-time ones go out as soon as loading is done
  // and come back with the result.
  const warn = (message: string): void => {
    if (isTruncationWarning(message) || warnings.includes(message)) return
    warnings.push(message)
    hooks.warning(message)
  }
  const report = (): CutoffReport =>
    live !== null
      ? protocolReport(live.report())
      : {
          cutoff: pending.cutoff,
          cutoffStep: null,
          locked: false,
          cfgInterval: pending.interval,
          guidanceStartStep: null,
          startLocked: false,
          guidanceScale: pending.scale
        }

  const run = async (): Promise<GenerationResult> => {
    if (!cache.has(request.modelDir, request.provider)) phase('loading')
    cache.onLoadProgress =
      hooks.loadProgress === undefined ? null : (event) => hooks.loadProgress?.({ ...event })
    const cached = await cache.get(request.modelDir, request.provider)
    const { pipe } = cached
    // Another model is the first thing to say about a snapshot, before its scheduler or size.
    if (request.resumeFrom !== undefined) {
      checkSnapshotModel(request.resumeFrom, await pipe.modelIdentity())
    }
    const plan = applyPlan(cached, request)
    applyMemoryMode(pipe, request.memoryMode ?? 'normal')
    for (const message of plan.warnings) warn(message)
    const guidance = request.guidanceScale ?? pipe.defaults.guidanceScale
    for (const message of await truncationNotices(request, guidance > 1)) warn(message)
    live = new LiveGuidanceCallback({
      family: pipe.family,
      cutoff: pending.cutoff,
      interval: pending.interval
    })
    if (pending.scale !== null) live.setGuidanceScale(pending.scale)

    // The model folder's own decoder unless the request brings one (a downloaded TAESD); the
    // session is only replaced when the decoder changes.
    await pipe.previews.setTinyDecoder(request.previewDecoder ?? null)
    const previews = new Map<number, PreviewFrame>()
    const preview = new PreviewCallback({
      every: request.previewEvery,
      ...(request.previewMethod === undefined ? {} : { method: request.previewMethod }),
      onPreview: (frame: PreviewFrame) => {
        previews.set(frame.stepIndex, frame)
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
    const call = (options: TextToImageOptions): Promise<PipelineOutput<'image'>> =>
      runner === null || imageOptions === null
        ? pipe.call<'image'>(options)
        : runner.call({ ...(options as ImageRunOptions), ...imageOptions, outputType: 'image' })
    const resume = request.resumeFrom ?? null
    const parent = resume === null ? null : snapshotRequest(resume)
    const output = await call({
      prompt: request.prompt,
      negativePrompt: request.negativePrompt,
      numInferenceSteps: request.numInferenceSteps,
      // A continued run keeps the guidance its parent had at the stop (a live change included)
      // unless the request asks for another scale than the parent started with.
      guidanceScale:
        resume !== null && request.guidanceScale === parent?.guidanceScale
          ? (resume.params.guidanceScale as number | undefined)
          : request.guidanceScale,
      guidanceRescale: request.guidanceRescale,
      width: request.width,
      height: request.height,
      numImagesPerPrompt: request.numImagesPerPrompt,
      ...(resume === null
        ? { generator: new Generator().manualSeed(request.seed) }
        : { resumeFrom: resume }),
      outputType: 'image',
      callbackOnStepEnd: new MultiPipelineCallbacks([live, stopCallback, preview]),
      onPhase: (p) => {
        // A stop that came while loading or encoding must not let step 0 run: the call cleared
        // the interrupt flag when it started, and the stop callback only sets it after a step.
        if (p === 'denoising' && stopCallback.stopRequested) pipe.interrupt = true
        // Loading is over: say now, not after the run, that a graph fell back to the CPU (a
        // slow SDXL run on CPU should not look like a slow GPU run until it ends).
        if (p !== 'loading') for (const message of pipe.loadTimeWarnings) warn(message)
        phase(p)
      },
      onStepEnd: async (info) => {
        // Stamped first, before the report is built and sent: the moment the step (its callbacks
        // and preview included) ended, on a clock other processes on this machine share.
        const endedAt = performance.timeOrigin + performance.now()
        // An image run's picture, noise and mask live outside a snapshot: it cannot be continued.
        let snapshot: RunSnapshot | null = null
        if (initImage === null) {
          snapshot = info.snapshot()
          snapshot.meta = { request: requestMeta }
          snapshots.push(snapshot)
        }
        // A slow step's state goes to main before its report, so "stop now" (which ends this
        // process mid-step) can still decode it, and continue it where it can be continued.
        if (hooks.stepState !== undefined && info.ms >= stateAfterMs) {
          await hooks.stepState(snapshot ?? info.snapshot())
        }
        const frame = previews.get(info.index)
        const step: InferenceStep = {
          index: info.index,
          timestep: info.timestep,
          total: info.numTimesteps,
          ms: info.ms,
          unetMs: info.unetMs,
          unetBatch: info.unetBatch,
          ...(info.unetCalls === undefined ? {} : { unetCalls: info.unetCalls }),
          cfg: info.cfg,
          guidanceScale: info.guidanceScale,
          endedAt,
          ...(frame === undefined ? {} : { previewMethod: frame.method, previewMs: frame.ms }),
          preview: frame === undefined ? null : toFrame(frame)
        }
        previews.delete(info.index)
        await hooks.step(step)
        const now = report()
        const locks = `${now.startLocked}/${now.locked}`
        if (locks !== lastLocks) {
          lastLocks = locks
          hooks.cutoff(now)
        }
      }
    })

    for (const message of output.warnings) warn(message)
    const final = report()
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

  /** Applies a change to the live guidance, or keeps it for the run while still loading. */
  const change = (
    apply: (callback: LiveGuidanceCallback) => LiveGuidanceReport,
    keep: () => string | null
  ): CutoffReport => {
    if (live === null) {
      const refused = keep()
      return refused === null ? report() : { ...report(), refused }
    }
    try {
      return protocolReport(apply(live))
    } catch (error) {
      return { ...report(), refused: (error as Error).message }
    }
  }

  return {
    stop: () => stopCallback.stop(),
    // Still loading: keep a change for the callback, but check it now, so a bad value is
    // refused here instead of failing the job when the callback is built.
    setCfgCutoff: (cutoff) =>
      change(
        (c) => c.setCutoff(cutoff),
        () => {
          const checked = CfgCutoffSchema.nullable().safeParse(cutoff)
          if (!checked.success) return `invalid CFG cutoff: ${checked.error.issues[0]?.message}`
          pending.cutoff = checked.data
          return null
        }
      ),
    setCfgInterval: (interval) =>
      change(
        (c) => c.setInterval(interval),
        () => {
          const checked = CfgIntervalSchema.nullable().safeParse(interval)
          if (!checked.success) {
            return `invalid guidance interval: ${checked.error.issues[0]?.message}`
          }
          pending.interval = checked.data
          return null
        }
      ),
    setGuidanceScale: (scale) =>
      change(
        (c) => c.setGuidanceScale(scale),
        () => {
          if (!Number.isFinite(scale) || scale <= 1) {
            return `a live guidance scale must be a finite number above 1 (got ${String(scale)})`
          }
          pending.scale = scale
          return null
        }
      ),
    snapshot: (step) => snapshots.find((s) => s.step === step) ?? null,
    lastSnapshot: () => snapshots[snapshots.length - 1] ?? null,
    result: run()
      .catch((error: unknown) => {
        throw explainFailure(error)
      })
      .finally(() => {
        cache.onLoadProgress = null
      })
  }
}
