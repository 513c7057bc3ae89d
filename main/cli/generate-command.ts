import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { env as ortEnv } from 'onnxruntime-node'
import { version } from '../../package.json'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from '../app-paths'
import { formatA1111Parameters } from '../../shared/a1111-parameters'
import { paramLabel } from '../../shared/labels'
import { sizeMultipleIssue } from '../../shared/size-multiple'
import {
  decodeImage,
  ModelLoadError,
  resolvePreviewDecoder,
  serializeRunSnapshot,
  writeFileAtomic,
  writePngFile
} from '../engine'
import { imageParametersOf } from '../history/image-parameters'
import { PipelineCache } from '../inference/host/pipeline-cache'
import { memoryLimitFromEnv, planRun, RunPlanError, type RunPlan } from '../jobs/run-plan'
import { startGeneration } from '../inference/host/run-generation'
import { stopNowResult } from './stop-now-run'
import { describeLoadProgress } from '../../shared/load-progress'
import type {
  GenerationRequest,
  GenerationResult,
  InferenceStep,
  RgbaFrame
} from '../inference/protocol'
import { modelIdFor } from '../model-library/model-registry'
import { readModelSummary } from '../model-library/read-model-summary'
import type { CliIo } from './cli-io'
import type { GenerateOptions, LowMemoryFlag } from './generate-options'
import { FLAG_OF_FIELD } from './generate-options'
import { applyResume, type ResumeSource } from './resume-run'
import { UsageError } from './usage-error'

/**
 * `generate`: one text-to-image run (or image-to-image / inpainting with `--init-image` and
 * `--mask`), in this process. The CLI has no UI to keep responsive, so
 * a separate inference process buys nothing here; running in-process keeps start-up short and
 * errors direct. It uses the same `startGeneration` as the inference process, so both front
 * ends run the same code, callbacks included.
 */

/** The JSON object `--json` prints (and nothing else on stdout). */
export interface GenerateJson {
  model: string
  family: string
  provider: string
  seed: number
  width: number
  height: number
  scheduler: string
  numInferenceSteps: number
  numTimesteps: number
  /** Image-to-image / inpainting: the strength; null for text-to-image. */
  strength: number | null
  /**
   * Where step 0 sits in the scheduler's full timestep list: 0 for text-to-image, the first
   * timestep an image run enters at otherwise.
   */
  startStep: number
  stepsRun: number
  interrupted: boolean
  /** The preview method the run used (`linear`, `tiny`, `vae`, `vae:N`). */
  previewMethod: string
  steps: Array<{
    index: number
    timestep: number
    ms: number
    unetBatch: number
    cfg: boolean
    guidanceScale: number
    /** What made this step's preview (a `vae:N` run has `vae` and `linear` steps), or null. */
    previewMethod: string | null
    /** What that preview cost, ms (part of `ms`), or null. */
    previewMs: number | null
  }>
  totalMs: number
  unetMs: number
  output: string
  /** A run continued with --resume: the step it continued after, its parent's seed and prompt. */
  resumedFrom: { step: number; parentSeed: number; parentPrompt: string } | null
  /** Where --save-state wrote the run state, or null. */
  savedState: string | null
}

/** Lets tests replace the process's Ctrl-C handling; see {@link generateCommand}. */
export interface InterruptSource {
  /** Calls `handler` on each Ctrl-C; returns the function that stops listening. */
  onInterrupt(handler: () => void): () => void
  /**
   * After a stop now: the abandoned step still runs on onnxruntime's threads; the process ends
   * once the output is written instead of waiting for it. Tests leave it out.
   */
  abandon?(code: number): void
}

const processInterrupts: InterruptSource = {
  onInterrupt(handler) {
    process.on('SIGINT', handler)
    return () => process.off('SIGINT', handler)
  },
  abandon(code) {
    process.stdout.write('', () => process.exit(code))
  }
}

/** `./stepwise-<seed>.png`, or `-1`, `-2`, … appended so an earlier image is never overwritten. */
export function defaultOutputPath(seed: number, dir: string = process.cwd()): string {
  for (let n = 0; ; n++) {
    const path = join(dir, n === 0 ? `stepwise-${seed}.png` : `stepwise-${seed}-${n}.png`)
    if (!existsSync(path)) return path
  }
}

function requestOf(options: GenerateOptions, source: ResumeSource | null): GenerationRequest {
  return {
    modelDir: options.modelDir,
    provider: options.provider,
    prompt: options.prompt,
    negativePrompt: options.negativePrompt,
    numInferenceSteps: options.numInferenceSteps,
    guidanceScale: options.guidanceScale,
    guidanceRescale: 0,
    width: options.width,
    height: options.height,
    seed: options.seed,
    scheduler: options.scheduler,
    useKarrasSigmas: options.useKarrasSigmas,
    algorithmType: options.algorithmType,
    cfgCutoff: options.cfgCutoff,
    cfgInterval: options.cfgInterval,
    stopAtStep: options.stopAtStep,
    previewEvery: 1,
    numImagesPerPrompt: 1,
    ...(options.previewDecoder === null ? {} : { previewDecoder: options.previewDecoder }),
    ...(source === null ? {} : { resumeFrom: source.snapshot }),
    ...(options.saveState === null ? {} : { keepSnapshots: 'last' as const })
  }
}

/**
 * Reads a PNG or JPEG picture given on the command line; an unreadable, damaged or oversized file
 * is a usage error naming the flag.
 */
function readPicture(flag: string, file: string): RgbaFrame {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (error) {
    throw new UsageError(
      `${flag}: cannot read ${JSON.stringify(file)}: ${(error as Error).message}`
    )
  }
  try {
    const image = decodeImage(bytes, `${flag} ${JSON.stringify(file)}`)
    return { width: image.width, height: image.height, rgba: image.data.slice().buffer }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/**
 * The preview method this run uses: the one asked for; else, with `--previews`, the model's
 * default (`tiny` where a tiny decoder is at hand); else `linear`, the cheapest, since nothing
 * is written. `tiny` without a decoder is refused here, before anything runs (exit code 2).
 */
async function choosePreviewMethod(
  options: GenerateOptions,
  modelName: string,
  hasOwnDecoder: boolean
): Promise<string> {
  if (options.previewDecoder !== null) {
    try {
      await resolvePreviewDecoder(options.previewDecoder)
    } catch (error) {
      if (error instanceof ModelLoadError)
        throw new UsageError(`--preview-decoder: ${error.message}`)
      throw error
    }
  }
  const hasDecoder = hasOwnDecoder || options.previewDecoder !== null
  if (options.previewMethod === 'tiny' && !hasDecoder) {
    throw new UsageError(
      `--preview-method tiny: ${modelName} has no tiny preview decoder (preview_decoder/model.onnx in its folder); give --preview-decoder DIR (a TAESD folder such as a download of deinferno/taesd-onnx for SD 1.x/2.x or julienkay/taesdxl for SDXL), or use linear or vae:N`
    )
  }
  if (options.previewMethod !== null) return options.previewMethod
  return options.previewsDir !== null && hasDecoder ? 'tiny' : 'linear'
}

function formatStep(step: InferenceStep): string {
  const guidance = step.cfg ? `cfg ${step.guidanceScale}` : 'no cfg'
  const preview =
    step.previewMethod === undefined
      ? ''
      : `  preview ${step.previewMethod} ${(step.previewMs ?? 0).toFixed(1)} ms`
  const calls =
    step.unetCalls !== undefined && step.unetCalls > 1 ? ` in ${step.unetCalls} calls` : ''
  return `step ${step.index + 1}/${step.total}  t=${step.timestep}  ${step.ms.toFixed(0)} ms  unet batch ${step.unetBatch}${calls} (${guidance})${preview}`
}

/**
 * Plans the run on the model folder before anything loads, as the app's queue does: a cutoff or
 * stop index past the last step, a step count the scheduler refuses, or a size too large for
 * memory is a usage error (exit 2), named by its flag. A size the normal mode cannot fit runs in the
 * mode the plan chose (`--low-memory auto`): the VAE in tiles, or the low-memory mode.
 */
async function refuseUnplannable(
  request: GenerationRequest,
  lowMemory: LowMemoryFlag
): Promise<RunPlan> {
  try {
    return await planRun(
      request.modelDir,
      {
        ...request,
        numInferenceSteps: request.numInferenceSteps as number,
        guidanceScale: request.guidanceScale as number,
        width: request.width as number,
        height: request.height as number
      },
      { lowMemory, ...limitFromEnv() }
    )
  } catch (error) {
    // A setting that names a step the run never reaches is a usage error; a run too large for
    // this machine's memory is not the command line's fault (exit 1, as when it ran out).
    if (!(error instanceof RunPlanError) || error.problems.some((p) => p.param === null))
      throw error
    throw new UsageError(error.describe((param) => FLAG_OF_FIELD[param] ?? paramLabel(param)))
  }
}

/** `STEPWISE_MEMORY_LIMIT_BYTES` as the plan's limit (a bad value is a usage error naming it). */
function limitFromEnv(): { memoryLimitBytes?: number } {
  try {
    const limit = memoryLimitFromEnv()
    return limit === undefined ? {} : { memoryLimitBytes: limit }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/**
 * Runs `generate` with validated options. Ctrl-C once stops at the end of the current step
 * and still writes the image (exit code 130); a second Ctrl-C stops now: the step in progress
 * is abandoned and the last finished step's image (and state, with --save-state) is written; a
 * third quits at once.
 */
export async function generateCommand(
  typed: GenerateOptions,
  io: CliIo,
  interrupts: InterruptSource = processInterrupts
): Promise<number> {
  // onnxruntime logs a failed provider (e.g. `auto` trying CUDA without its libraries) as a
  // multi-line native error on stderr; the engine reports the fallback as one warning instead.
  ortEnv.logLevel = 'fatal'
  const { options, source } = applyResume(typed)
  if (options.previewsDir !== null) mkdirSync(options.previewsDir, { recursive: true })
  // Values left out take the model's own defaults as the app resolves them (Turbo models: one
  // step without guidance at 512×512), not diffusers' generic 50 steps at guidance 7.5.
  // The id the app gives this folder, so the PNG's `Model` restores to it there too.
  const modelId = modelIdFor(basename(resolve(options.modelDir)), new Set())
  const model = await readModelSummary(options.modelDir, { id: modelId, source: 'added' })
  const { defaults } = model
  const previewMethod = await choosePreviewMethod(
    options,
    options.modelDir,
    model.previews.decoder !== null
  )
  const initImage =
    options.initImage === null ? null : readPicture('--init-image', options.initImage)
  const mask = options.mask === null ? null : readPicture('--mask', options.mask)
  // An image run is as large as its picture (rounded down to the model's size multiple) unless a
  // size is asked for; the picture and the mask are resized to it.
  const multiple = defaults.sizeMultiple
  const imageSize = (side: number): number => Math.max(multiple, side - (side % multiple))
  const request: GenerationRequest = {
    ...requestOf(options, source),
    previewMethod,
    numInferenceSteps: options.numInferenceSteps ?? defaults.numInferenceSteps,
    guidanceScale: options.guidanceScale ?? defaults.guidanceScale,
    width: options.width ?? (initImage === null ? defaults.width : imageSize(initImage.width)),
    height: options.height ?? (initImage === null ? defaults.height : imageSize(initImage.height)),
    ...(initImage === null ? {} : { initImage, mask, strength: options.strength })
  }
  // An argument error (exit 2), found from the model's configs before anything is loaded.
  for (const name of ['width', 'height'] as const) {
    const issue = sizeMultipleIssue(request[name] ?? defaults[name], defaults.sizeMultiple)
    if (issue !== null) throw new UsageError(`--${name}: ${issue}`)
  }
  const plan = await refuseUnplannable(request, options.lowMemory)
  request.memoryMode = plan.memoryMode
  if (plan.memoryNote !== null) io.err(`note: ${plan.memoryNote}`)
  if (options.randomSeed) io.err(`seed ${options.seed} (random)`)
  const steps: InferenceStep[] = []
  // Check verdicts of graph passes are kept in the app's data folder, so that a model's
  // attention check runs on its first CLI (or app) load only.
  const cache = new PipelineCache({
    graphPassCacheDir: join(defaultUserDataDir(), GRAPH_PASS_CACHE_FOLDER)
  })
  const run = startGeneration(
    request,
    {
      phase: (phase) => io.err(`${phase}…`),
      // Per component, on stderr with the rest of the progress; --json keeps stderr to phases,
      // steps and warnings.
      ...(options.json
        ? {}
        : { loadProgress: (progress) => io.err(lowerFirst(describeLoadProgress(progress))) }),
      step: (step) => {
        steps.push(step)
        io.err(formatStep(step))
        if (options.previewsDir !== null && step.preview !== null) {
          const { width, height, rgba } = step.preview
          const file = join(options.previewsDir, `${step.index}.png`)
          writePngFile(file, { width, height, data: new Uint8Array(rgba) })
        }
      },
      cutoff: (report) => {
        if (report.locked && report.cutoffStep !== null) {
          io.err(`classifier-free guidance ended after step index ${report.cutoffStep}`)
        }
      },
      warning: (message) => io.err(`warning: ${message}`)
    },
    cache
  )

  let interrupts_ = 0
  let stopNow: () => void = () => undefined
  const stoppedNow = new Promise<'now'>((resolve) => (stopNow = () => resolve('now')))
  const stopListening = interrupts.onInterrupt(() => {
    interrupts_++
    if (interrupts_ === 1) {
      io.err('stopping at the end of this step (Ctrl-C again to stop now, without waiting)…')
      run.stop()
    } else if (interrupts_ === 2) {
      io.err('stopping now: the last finished step is the result (Ctrl-C again to quit)…')
      stopNow()
    } else {
      process.exit(130)
    }
  })
  let result: GenerationResult | null
  let abandoned = false
  try {
    const first = await Promise.race([run.result, stoppedNow])
    if (first === 'now') {
      abandoned = true
      // The abandoned step's end (or failure) concerns nobody now.
      run.result.catch(() => undefined)
      result = await stopNowResult(run, request, cache, steps)
    } else {
      result = first
    }
  } finally {
    stopListening()
    // Sessions in use by the abandoned step are not freed under it: the exit frees them.
    if (!abandoned) await cache.release()
  }
  if (result === null) {
    io.err(
      initImage === null
        ? 'stopped now before the first step finished, so there is no image'
        : 'stopped now: an image run keeps no step state, so there is no image'
    )
    interrupts.abandon?.(130)
    return 130
  }

  const image = result.images[0]
  if (image === undefined) throw new Error('the pipeline returned no image')
  const output = options.out ?? defaultOutputPath(result.seed)
  const parameters = formatA1111Parameters(
    imageParametersOf(
      {
        ...request,
        modelId,
        initImage: options.initImage === null ? null : basename(options.initImage),
        maskImage: options.mask === null ? null : basename(options.mask)
      },
      result,
      version
    )
  )
  writePngFile(
    output,
    { width: image.width, height: image.height, data: new Uint8Array(image.rgba) },
    { parameters }
  )
  let savedState: string | null = null
  const state = result.snapshots[result.snapshots.length - 1]
  if (options.saveState !== null) {
    if (state === undefined) {
      io.err('warning: no step ran, so there is no run state to save')
    } else {
      await writeFileAtomic(options.saveState, serializeRunSnapshot(state))
      savedState = options.saveState
      io.err(`saved the run state after step ${state.step + 1} to ${options.saveState}`)
    }
  }
  const resumedFrom =
    source === null || result.resumedFromStep === null
      ? null
      : {
          step: result.resumedFromStep,
          parentSeed: source.parent.seed ?? result.seed,
          parentPrompt:
            source.parent.prompt ??
            (typeof source.snapshot.params.prompt === 'string' ? source.snapshot.params.prompt : '')
        }
  if (resumedFrom !== null) io.err(`continued after step ${resumedFrom.step + 1}`)
  const summary =
    `${result.stepsRun}/${result.numTimesteps} steps${result.interrupted ? ' (interrupted)' : ''}` +
    ` in ${(result.totalMs / 1000).toFixed(2)} s (UNet ${(result.unetMs / 1000).toFixed(2)} s),` +
    ` seed ${result.seed}, ${result.provider}`
  io.err(`done: ${summary}`)

  if (options.json) {
    const json: GenerateJson = {
      model: resolve(options.modelDir),
      family: result.family,
      provider: result.provider,
      seed: result.seed,
      width: result.width,
      height: result.height,
      scheduler: result.scheduler,
      numInferenceSteps: result.numInferenceSteps,
      numTimesteps: result.numTimesteps,
      strength: result.strength,
      startStep: result.startStep,
      stepsRun: result.stepsRun,
      interrupted: result.interrupted,
      previewMethod,
      steps: steps.map((s) => ({
        index: s.index,
        timestep: s.timestep,
        ms: s.ms,
        unetBatch: s.unetBatch,
        cfg: s.cfg,
        guidanceScale: s.guidanceScale,
        previewMethod: s.previewMethod ?? null,
        previewMs: s.previewMs ?? null
      })),
      totalMs: result.totalMs,
      unetMs: result.unetMs,
      output,
      resumedFrom,
      savedState
    }
    io.out(JSON.stringify(json))
  } else {
    io.out(output)
  }
  if (abandoned) interrupts.abandon?.(130)
  return interrupts_ > 0 ? 130 : 0
}

/** "Loading UNet…" as the CLI's other progress lines start: "loading UNet…". */
function lowerFirst(line: string): string {
  return line.charAt(0).toLowerCase() + line.slice(1)
}
