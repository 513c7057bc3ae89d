import { randomInt } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  ProviderName,
  SchedulerClassName
} from '../../shared/params'
import { GenerateParamsSchema, LIMITS } from '../../shared/params'
import type { FlagSpec, ParsedFlags } from './parse-flags'
import { looksLikePath } from './path-arg'
import { numberOrText, parseFlags } from './parse-flags'
import { checkResumeFile, checkSaveState, parseIntervalFlag } from './resume-options'
import { UsageError } from './usage-error'

/** The `generate` command's flags, in the order `--help` lists them. */
export const GENERATE_FLAGS: readonly FlagSpec[] = [
  { name: 'model', kind: 'value' },
  { name: 'prompt', kind: 'value' },
  { name: 'negative-prompt', kind: 'value' },
  { name: 'steps', kind: 'value' },
  { name: 'guidance', kind: 'value' },
  { name: 'seed', kind: 'value' },
  { name: 'width', kind: 'value' },
  { name: 'height', kind: 'value' },
  { name: 'init-image', kind: 'value' },
  { name: 'strength', kind: 'value' },
  { name: 'mask', kind: 'value' },
  { name: 'scheduler', kind: 'value' },
  { name: 'karras', kind: 'boolean' },
  { name: 'algorithm-type', kind: 'value' },
  { name: 'cfg-cutoff-ratio', kind: 'value' },
  { name: 'cfg-cutoff-step', kind: 'value' },
  { name: 'cfg-interval', kind: 'value' },
  { name: 'cfg-interval-steps', kind: 'value' },
  { name: 'stop-at-step', kind: 'value' },
  { name: 'save-state', kind: 'value' },
  { name: 'resume', kind: 'value' },
  { name: 'previews', kind: 'value' },
  { name: 'preview-method', kind: 'value' },
  { name: 'preview-decoder', kind: 'value' },
  { name: 'out', kind: 'value' },
  { name: 'provider', kind: 'value' },
  { name: 'low-memory', kind: 'value' },
  { name: 'json', kind: 'boolean' },
  { name: 'help', kind: 'boolean' }
]

/** A validated `generate` command line. */
export interface GenerateOptions {
  /**
   * Absolute path of the model folder. When `--model` named a library id instead, the id
   * ({@link libraryId}) until `resolveLibraryModel` (./model-folders.ts) puts its folder here.
   */
  modelDir: string
  /** The library id `--model` named, or null when it named a folder. */
  libraryId: string | null
  prompt: string
  negativePrompt: string
  /** Omitted: the model's default. */
  numInferenceSteps?: number
  guidanceScale?: number
  width?: number
  height?: number
  seed: number
  /** True when no --seed was given and one was drawn at random. */
  randomSeed: boolean
  scheduler?: SchedulerClassName
  useKarrasSigmas: boolean
  /** DPM-Solver `algorithm_type` (given, or implied by an A1111 sampler name). */
  algorithmType?: AlgorithmType
  cfgCutoff: CfgCutoff | null
  /** Guidance only inside this window (`--cfg-interval`, `--cfg-interval-steps`), or null. */
  cfgInterval: CfgInterval | null
  stopAtStep: number | null
  /** Absolute path to write the run state to (`--save-state`), or null. */
  saveState: string | null
  /**
   * `--resume`: the saved run state to continue from, and which options were typed (the others
   * take the parent run's values once the file is read), or null.
   */
  resume: ResumeRequest | null
  /** Absolute folder for per-step previews, or null. */
  previewsDir: string | null
  /**
   * `--preview-method` in its normal text form (`linear`, `tiny`, `vae`, `vae:N`), or null: the
   * model's default with `--previews`, else `linear` (the cheapest; every step still reports it).
   */
  previewMethod: string | null
  /** `--preview-decoder`: a TAESD folder or `.onnx` file for `tiny` previews, absolute; or null. */
  previewDecoder: string | null
  /** Absolute output path, or null for the default `stepwise-<seed>.png` in the working folder. */
  out: string | null
  provider: ProviderName
  json: boolean
  /** Absolute path of the picture to start from (PNG or JPEG), or null: text-to-image. */
  initImage: string | null
  /** Absolute path of the inpainting mask (white repaints), or null. */
  mask: string | null
  /** Image-to-image / inpainting strength (0 < S ≤ 1); null without --init-image. */
  strength: number | null
  /**
   * `--low-memory`: `auto` (default) uses the VAE's tiled decode, then the low-memory mode, only
   * when the normal mode would not fit this machine's memory; `on` always; `off` never (refused).
   */
  lowMemory: LowMemoryFlag
}

/** The values of `--low-memory`. */
export const LOW_MEMORY_VALUES = ['auto', 'on', 'off'] as const
export type LowMemoryFlag = (typeof LOW_MEMORY_VALUES)[number]

function lowMemoryFlag(flags: ParsedFlags): LowMemoryFlag {
  const value = text(flags, 'low-memory')
  if (value === undefined) return 'auto'
  const found = LOW_MEMORY_VALUES.find((v) => v === value)
  if (found === undefined) {
    throw new UsageError(
      `--low-memory: must be one of ${LOW_MEMORY_VALUES.join(', ')} (got ${JSON.stringify(value)})`
    )
  }
  return found
}

/** `--resume FILE` before the file is read: its path and the options that were typed. */
export interface ResumeRequest {
  file: string
  /** Flag names given on the command line (`prompt`, `steps`, `width`, …). */
  given: ReadonlySet<string>
}

/** Where each schema field comes from on the command line, for messages. */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  prompt: '--prompt',
  negativePrompt: '--negative-prompt',
  numInferenceSteps: '--steps',
  guidanceScale: '--guidance',
  seed: '--seed',
  width: '--width',
  height: '--height',
  scheduler: '--scheduler',
  useKarrasSigmas: '--karras',
  algorithmType: '--algorithm-type',
  'cfgCutoff.ratio': '--cfg-cutoff-ratio',
  'cfgCutoff.stepIndex': '--cfg-cutoff-step',
  cfgInterval: '--cfg-interval',
  'cfgInterval.startRatio': '--cfg-interval',
  'cfgInterval.endRatio': '--cfg-interval',
  'cfgInterval.startStepIndex': '--cfg-interval-steps',
  'cfgInterval.endStepIndex': '--cfg-interval-steps',
  stopAtStep: '--stop-at-step',
  previewMethod: '--preview-method',
  provider: '--provider',
  strength: '--strength'
}

function text(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.get(name)
  return typeof value === 'string' ? value : undefined
}

function num(flags: ParsedFlags, name: string): number | string | undefined {
  const value = text(flags, name)
  return value === undefined ? undefined : numberOrText(value)
}

/** Checks `--model DIR`: a diffusers ONNX model folder. */
export function checkModelDir(dir: string): string {
  const path = resolve(dir)
  if (!existsSync(path)) throw new UsageError(`--model: no such folder ${JSON.stringify(dir)}`)
  if (!statSync(path).isDirectory()) {
    throw new UsageError(`--model: ${JSON.stringify(dir)} is a file, not a model folder`)
  }
  if (!existsSync(join(path, 'model_index.json'))) {
    throw new UsageError(
      `--model: ${JSON.stringify(dir)} is not a diffusers ONNX model folder (it has no model_index.json)`
    )
  }
  return path
}

function checkOut(out: string): string {
  if (!/\.png$/i.test(out)) {
    throw new UsageError(`--out: must be a file name ending in .png (got ${JSON.stringify(out)})`)
  }
  const path = resolve(out)
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError(
      `--out: ${JSON.stringify(out)} is a folder; give a file name ending in .png`
    )
  }
  return path
}

function checkImageFile(flag: string, file: string): string {
  const path = resolve(file)
  if (file.trim() === '') throw new UsageError(`${flag}: needs a PNG or JPEG file name`)
  if (!existsSync(path)) throw new UsageError(`${flag}: no such file ${JSON.stringify(file)}`)
  if (statSync(path).isDirectory()) {
    throw new UsageError(`${flag}: ${JSON.stringify(file)} is a folder, not a PNG or JPEG file`)
  }
  return path
}

function checkPreviewsDir(dir: string): string {
  const path = resolve(dir)
  if (dir.trim() === '') throw new UsageError('--previews: needs a folder name')
  if (existsSync(path) && !statSync(path).isDirectory()) {
    throw new UsageError(`--previews: ${JSON.stringify(dir)} is a file, not a folder`)
  }
  return path
}

function checkPreviewDecoder(path: string): string {
  if (path.trim() === '')
    throw new UsageError('--preview-decoder: needs a TAESD folder or .onnx file')
  const resolved = resolve(path)
  if (!existsSync(resolved)) {
    throw new UsageError(`--preview-decoder: no such folder or file ${JSON.stringify(path)}`)
  }
  return resolved
}

/**
 * Parses and validates `generate`'s arguments. Numeric and enumerated values go through the
 * same schema as the app's form (shared/params.ts), so messages match the UI's; only the field
 * name is replaced by the flag that set it. Returns null when `--help` was asked for.
 */
export function parseGenerateOptions(argv: readonly string[]): GenerateOptions | null {
  const flags = parseFlags(argv, GENERATE_FLAGS, 'generate')
  if (flags.has('help')) return null
  const resumeFile = text(flags, 'resume')
  const resume =
    resumeFile === undefined
      ? null
      : { file: checkResumeFile(resumeFile), given: new Set(flags.keys()) }
  // With --resume the model and prompt may come from the saved state (read once the engine is
  // loaded): placeholders stand in until then.
  const model = text(flags, 'model') ?? (resume === null ? undefined : '')
  const prompt = text(flags, 'prompt') ?? (resume === null ? undefined : '')
  if (model === undefined) {
    throw new UsageError('--model DIR is required (a diffusers ONNX folder, or a library id)')
  }
  if (prompt === undefined) throw new UsageError('--prompt TEXT is required')
  const ratio = num(flags, 'cfg-cutoff-ratio')
  const cutoffStep = num(flags, 'cfg-cutoff-step')
  if (ratio !== undefined && cutoffStep !== undefined) {
    throw new UsageError('use either --cfg-cutoff-ratio or --cfg-cutoff-step, not both')
  }
  const intervalRatios = text(flags, 'cfg-interval')
  const intervalSteps = text(flags, 'cfg-interval-steps')
  if (intervalRatios !== undefined && intervalSteps !== undefined) {
    throw new UsageError('use either --cfg-interval or --cfg-interval-steps, not both')
  }

  const initImage = text(flags, 'init-image')
  const mask = text(flags, 'mask')
  const strength = num(flags, 'strength')
  if (initImage === undefined && mask !== undefined) {
    throw new UsageError('--mask needs --init-image FILE (the picture to inpaint)')
  }
  if (initImage === undefined && strength !== undefined) {
    throw new UsageError('--strength needs --init-image FILE (the picture to start from)')
  }
  // A run state keeps latents, scheduler and guidance, not the picture, noise and mask.
  if (initImage !== undefined && (resume !== null || flags.has('save-state'))) {
    throw new UsageError(
      `--init-image cannot be used with ${resume !== null ? '--resume' : '--save-state'}: image-to-image and inpainting runs cannot be continued`
    )
  }

  const parsed = GenerateParamsSchema.safeParse({
    prompt,
    negativePrompt: text(flags, 'negative-prompt') ?? '',
    numInferenceSteps: num(flags, 'steps'),
    guidanceScale: num(flags, 'guidance'),
    width: num(flags, 'width'),
    height: num(flags, 'height'),
    seed: num(flags, 'seed') ?? null,
    scheduler: text(flags, 'scheduler'),
    useKarrasSigmas: flags.has('karras'),
    algorithmType: text(flags, 'algorithm-type'),
    cfgCutoff:
      ratio !== undefined ? { ratio } : cutoffStep !== undefined ? { stepIndex: cutoffStep } : null,
    cfgInterval:
      intervalRatios !== undefined
        ? parseIntervalFlag(intervalRatios, 'cfg-interval')
        : intervalSteps !== undefined
          ? parseIntervalFlag(intervalSteps, 'cfg-interval-steps')
          : null,
    stopAtStep: num(flags, 'stop-at-step') ?? null,
    previewMethod: text(flags, 'preview-method'),
    provider: text(flags, 'provider') ?? 'auto',
    ...(strength === undefined ? {} : { strength })
  })
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.')
      return `${FLAG_OF_FIELD[field] ?? field}: ${issue.message}`
    })
    throw new UsageError(problems.join('; '))
  }
  const p = parsed.data
  const previews = text(flags, 'previews')
  const previewDecoder = text(flags, 'preview-decoder')
  const out = text(flags, 'out')
  const saveState = text(flags, 'save-state')
  const isPath = model === '' || looksLikePath(model)
  return {
    modelDir: model === '' ? '' : isPath ? checkModelDir(model) : model,
    libraryId: isPath ? null : model,
    prompt: p.prompt,
    negativePrompt: p.negativePrompt,
    numInferenceSteps: p.numInferenceSteps,
    guidanceScale: p.guidanceScale,
    width: p.width,
    height: p.height,
    // 32 bits like A1111's seeds, so a seed typed into another tool means the same there.
    seed: p.seed ?? randomInt(0, 2 ** 32),
    randomSeed: p.seed === null,
    scheduler: p.scheduler,
    useKarrasSigmas: p.useKarrasSigmas,
    algorithmType: p.algorithmType,
    cfgCutoff: p.cfgCutoff,
    cfgInterval: p.cfgInterval,
    stopAtStep: p.stopAtStep,
    saveState: saveState === undefined ? null : checkSaveState(saveState),
    resume,
    previewsDir: previews === undefined ? null : checkPreviewsDir(previews),
    previewMethod: p.previewMethod ?? null,
    previewDecoder: previewDecoder === undefined ? null : checkPreviewDecoder(previewDecoder),
    out: out === undefined ? null : checkOut(out),
    provider: p.provider,
    json: flags.has('json'),
    initImage: initImage === undefined ? null : checkImageFile('--init-image', initImage),
    mask: mask === undefined ? null : checkImageFile('--mask', mask),
    strength: initImage === undefined ? null : (p.strength ?? LIMITS.strength.default),
    lowMemory: lowMemoryFlag(flags)
  }
}
