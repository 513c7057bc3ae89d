import { performance } from 'node:perf_hooks'
import { CfgCutoffSchema, CfgIntervalSchema } from '../../../shared/params'
import type { CfgCutoff, CfgInterval } from '../../../shared/params'
import type {
  PipelineOutput,
  PreviewFrame,
  RunSnapshot,
  StableDiffusionCallOptions,
  StableDiffusionXLCallOptions
} from '../../engine'
import {
  checkSnapshotModel,
  Generator,
  isTruncationWarning,
  LiveGuidanceCallback,
  MultiPipelineCallbacks,
  PreviewCallback,
  StopCallback
} from '../../engine'
import { imagePipelineFor, imageRunNotices, rgbaOf, type ImageRunOptions } from './image-inputs'
import type { LiveGuidanceReport } from '../../engine'
import type { CutoffReport, GenerationRequest, GenerationResult, InferencePhase } from '../protocol'
import { STEP_STATE_AFTER_MS } from '../protocol'
import { applyMemoryMode, applyPlan } from './apply-plan'
import { explainFailure } from './explain-failure'
import type { GenerationHooks, GenerationRun } from './generation-hooks'
import { generationResult } from './generation-result'
import type { PipelineCache } from './pipeline-cache'
import { inferenceStepOf, protocolReport } from './protocol-values'
import { truncationNotices } from './truncation-notices'

export { applyPlan, planOn } from './apply-plan'
export { toFrame } from './protocol-values'

/** Options both text-to-image pipelines take (each types its callbacks by its own class). */
type TextToImageOptions = StableDiffusionCallOptions<'image'> &
  StableDiffusionXLCallOptions<'image'>

/**
 * One generation from a {@link GenerationRequest}: load (or reuse) the pipeline, set the
 * scheduler, seed the generator (or take a snapshot's state to continue a run), attach
 * Stepwise's callbacks (live guidance, stop, previews), run, and report every step. Every
 * step's snapshot is kept in memory for branching. Used by the inference process (the app's and
 * the CLI's).
 */

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
        // A slow step's state is kept outside this process before its report, so "stop now"
        // (which ends the process mid-step) can still decode it, and continue it where it can.
        if (hooks.stepState !== undefined && info.ms >= stateAfterMs) {
          await hooks.stepState(snapshot ?? info.snapshot())
        }
        const frame = previews.get(info.index)
        const step = inferenceStepOf(info, frame, endedAt)
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
    return generationResult(output, {
      request,
      family: pipe.family,
      plan,
      final: report(),
      snapshots,
      warnings
    })
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
