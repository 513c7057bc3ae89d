import { existsSync, mkdirSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { version } from '../../package.json'
import { formatA1111Parameters } from '../../shared/a1111-parameters'
import { sizeMultipleIssue } from '../../shared/size-multiple'
import { serializeRunSnapshot, writeFileAtomic, writePngFile } from '../engine'
import { imageParametersOf } from '../history/image-parameters'
import { describeLoadProgress } from '../../shared/load-progress'
import type { GenerationRequest, GenerationResult, InferenceStep } from '../inference/protocol'
import { modelIdFor } from '../model-library/model-registry'
import { readModelSummary } from '../model-library/read-model-summary'
import { startCliGeneration } from './child-generation'
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
 * `--mask`), in an inference process of its own started with the app's client
 * (./child-generation.ts): the same code runs it as in the app, callbacks included, and "stop
 * now" can end that process in the middle of a step, which no code in this process could (a
 * step's `session.run` blocks the thread that calls it until the step ends).
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
 * and still writes the image (exit code 130); a second Ctrl-C stops now: the inference process
 * is ended in the middle of its step, and the last finished step's image (decoded by a fresh
 * process) and state (with --save-state) are written; a third quits at once.
 */
export async function generateCommand(
  typed: GenerateOptions,
  io: CliIo,
  interrupts: InterruptSource = processInterrupts
): Promise<number> {
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
  const run = startCliGeneration(request, {
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
  })

  let interrupts_ = 0
  /** Set by the second Ctrl-C: the step whose image the result is (null: none had finished). */
  let stoppedNowAt: number | null | undefined
  const stopListening = interrupts.onInterrupt(() => {
    interrupts_++
    if (interrupts_ === 1) {
      io.err('stopping at the end of this step (Ctrl-C again to stop now, without waiting)…')
      run.stop()
    } else if (interrupts_ === 2) {
      io.err('stopping now: the last finished step is the result (Ctrl-C again to quit)…')
      stoppedNowAt = run.stopNow()
    } else {
      run.kill()
      process.exit(130)
    }
  })
  let result: GenerationResult
  try {
    result = await run.result
  } finally {
    stopListening()
    await run.close()
  }
  if (stoppedNowAt !== undefined) {
    for (const message of result.warnings) io.err(`warning: ${message}`)
    if (result.images.length === 0) {
      io.err(
        stoppedNowAt === null
          ? 'stopped now before the first step finished, so there is no image'
          : 'stopped now: there is no image'
      )
      return 130
    }
    io.err(
      `stopped now: the step in progress was abandoned; the image is step ${result.stepsRun}'s, decoded by a fresh inference process`
    )
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
  return interrupts_ > 0 ? 130 : 0
}
