import { existsSync, mkdirSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { env as ortEnv } from 'onnxruntime-node'
import { version } from '../../package.json'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from '../app-paths'
import { formatA1111Parameters } from '../../shared/a1111-parameters'
import { sizeMultipleIssue } from '../../shared/size-multiple'
import { serializeRunSnapshot, writeFileAtomic, writePngFile } from '../engine'
import { imageParametersOf } from '../history/image-parameters'
import { PipelineCache } from '../inference/host/pipeline-cache'
import { startGeneration } from '../inference/host/run-generation'
import { stopNowResult } from './stop-now-run'
import { describeLoadProgress } from '../../shared/load-progress'
import type { GenerationRequest, GenerationResult, InferenceStep } from '../inference/protocol'
import { modelIdFor } from '../model-library/model-registry'
import { readModelSummary } from '../model-library/read-model-summary'
import type { CliIo } from './cli-io'
import { generateJson } from './generate-json'
import type { GenerateOptions } from './generate-options'
import { refuseUnplannable } from './generate-plan'
import { formatStep, lowerFirst } from './generate-progress'
import { choosePreviewMethod, readPicture, requestOf } from './generate-request'
import { processInterrupts, type InterruptSource } from './interrupt-source'
import { applyResume } from './resume-run'
import { UsageError } from './usage-error'

export type { GenerateJson } from './generate-json'
export type { InterruptSource } from './interrupt-source'

/**
 * `generate`: one text-to-image run (or image-to-image / inpainting with `--init-image` and
 * `--mask`), in this process. The CLI has no UI to keep responsive, so
 * a separate inference process buys nothing here; running in-process keeps start-up short and
 * errors direct. It uses the same `startGeneration` as the inference process, so both front
 * ends run the same code, callbacks included.
 */

/** `./stepwise-<seed>.png`, or `-1`, `-2`, … appended so an earlier image is never overwritten. */
export function defaultOutputPath(seed: number, dir: string = process.cwd()): string {
  for (let n = 0; ; n++) {
    const path = join(dir, n === 0 ? `stepwise-${seed}.png` : `stepwise-${seed}-${n}.png`)
    if (!existsSync(path)) return path
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
    io.out(
      JSON.stringify(
        generateJson(result, {
          modelDir: options.modelDir,
          previewMethod,
          steps,
          output,
          resumedFrom,
          savedState
        })
      )
    )
  } else {
    io.out(output)
  }
  if (abandoned) interrupts.abandon?.(130)
  return interrupts_ > 0 ? 130 : 0
}
