import { existsSync, readFileSync } from 'node:fs'
import { parseRunSnapshot, RunSnapshotError } from '../engine'
import type { RunSnapshot } from '../engine'
import type { GenerationRequest } from '../inference/protocol'
import { checkModelDir, type GenerateOptions } from './generate-options'
import { UsageError } from './usage-error'

/**
 * `generate --resume FILE`: reads the saved run state and completes the options with the parent
 * run's (model, prompts, seed, size, steps, scheduler, guidance settings), refusing the options
 * a continued run cannot change, in the flags' words. Runs once the engine is loaded.
 */

/** A saved run state and the request of the run that saved it. */
export interface ResumeSource {
  file: string
  snapshot: RunSnapshot
  /** The parent's request as its snapshot keeps it (empty for a state saved by another program). */
  parent: Partial<GenerationRequest>
}

/** The flags a resumed run keeps, the request field each sets, and what to call it. */
const KEPT: readonly [string, keyof GenerationRequest & keyof GenerateOptions, string][] = [
  ['steps', 'numInferenceSteps', 'number of steps'],
  ['width', 'width', 'size'],
  ['height', 'height', 'size'],
  ['scheduler', 'scheduler', 'scheduler'],
  ['karras', 'useKarrasSigmas', 'scheduler settings'],
  ['algorithm-type', 'algorithmType', 'scheduler settings'],
  ['seed', 'seed', 'random state (its seed)']
]

/** Reads `--resume`'s file; a file that is not a usable run state is a usage error. */
function readSource(file: string): ResumeSource {
  let snapshot: RunSnapshot
  try {
    snapshot = parseRunSnapshot(new Uint8Array(readFileSync(file)), JSON.stringify(file))
  } catch (error) {
    if (error instanceof RunSnapshotError) throw new UsageError(`--resume: ${error.message}`)
    throw error
  }
  const meta = snapshot.meta.request
  const parent =
    meta !== null && typeof meta === 'object' ? (meta as Partial<GenerationRequest>) : {}
  return { file, snapshot, parent }
}

/**
 * The options of a resumed run and its source, or the options as they are without `--resume`.
 * Throws {@link UsageError} for a damaged or unknown file, a missing model folder, or a flag
 * asking to change what stays.
 */
export function applyResume(options: GenerateOptions): {
  options: GenerateOptions
  source: ResumeSource | null
} {
  if (options.resume === null) return { options, source: null }
  const { given } = options.resume
  const source = readSource(options.resume.file)
  const { parent, snapshot } = source
  const total = snapshot.timesteps.length
  if (snapshot.step >= total - 1) {
    throw new UsageError(
      `--resume: the run saved in ${options.resume.file} ran all its ${total} steps: there is nothing left to continue (save a run with --stop-at-step K to continue it later)`
    )
  }
  // The scheduler that ran is the snapshot's, whether the parent named it or took the model's.
  const ran: Partial<GenerationRequest> = {
    ...parent,
    scheduler: snapshot.scheduler.className as GenerationRequest['scheduler']
  }
  for (const [flag, key, what] of KEPT) {
    const had = ran[key]
    if (!given.has(flag) || had === undefined || options[key] === had) continue
    throw new UsageError(
      `--${flag}: a resumed run keeps the ${what} of the run it continues (${JSON.stringify(had)}); only --prompt, --negative-prompt, --guidance, the CFG cutoff and --cfg-interval may change`
    )
  }
  if (options.stopAtStep !== null && options.stopAtStep <= snapshot.step) {
    throw new UsageError(
      `--stop-at-step: the resumed run starts after step index ${snapshot.step}; stop at a later step (got ${options.stopAtStep})`
    )
  }
  let modelDir = options.modelDir
  if (modelDir === '') {
    const saved = parent.modelDir
    if (saved === undefined || !existsSync(saved)) {
      throw new UsageError(
        saved === undefined
          ? '--model DIR is required (the saved run state does not name its model folder)'
          : `--model DIR is required: the saved run state's model folder ${saved} is not there`
      )
    }
    modelDir = checkModelDir(saved)
  }
  const pick = <K extends keyof GenerateOptions>(flag: string, key: K, fallback: unknown) =>
    (given.has(flag) ? options[key] : (fallback ?? options[key])) as GenerateOptions[K]
  const savedPrompt =
    typeof snapshot.params.prompt === 'string' ? snapshot.params.prompt : undefined
  return {
    source,
    options: {
      ...options,
      modelDir,
      prompt: pick('prompt', 'prompt', parent.prompt ?? savedPrompt),
      negativePrompt: pick('negative-prompt', 'negativePrompt', parent.negativePrompt),
      numInferenceSteps: parent.numInferenceSteps ?? options.numInferenceSteps,
      guidanceScale: pick('guidance', 'guidanceScale', parent.guidanceScale),
      width: parent.width ?? options.width,
      height: parent.height ?? options.height,
      seed: parent.seed ?? options.seed,
      randomSeed: false,
      scheduler: ran.scheduler,
      useKarrasSigmas: parent.useKarrasSigmas ?? options.useKarrasSigmas,
      algorithmType: parent.algorithmType ?? options.algorithmType,
      cfgCutoff:
        given.has('cfg-cutoff-ratio') || given.has('cfg-cutoff-step')
          ? options.cfgCutoff
          : (parent.cfgCutoff ?? null),
      cfgInterval:
        given.has('cfg-interval') || given.has('cfg-interval-steps')
          ? options.cfgInterval
          : (parent.cfgInterval ?? null),
      provider: pick('provider', 'provider', parent.provider)
    }
  }
}
