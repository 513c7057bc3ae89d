import type { CfgCutoff, GenerateParamsInput } from './params'
import {
  A1111_SAMPLERS,
  ALGORITHM_TYPES,
  SCHEDULER_CLASS_NAMES,
  a1111SamplerName
} from './schedulers'
import type { AlgorithmType, SamplerChoice, SchedulerClassName } from './schedulers'

/**
 * AUTOMATIC1111's "parameters" text (the infotext stored in a PNG `parameters` chunk), written
 * and read the way A1111 does (`processing.create_infotext`, `infotext_utils.quote/unquote` and
 * `parse_generation_parameters`), so images from Stepwise open in A1111's "PNG Info" tab, in
 * Civitai and in other readers, and the app restores a history entry's parameters from its PNG:
 *
 * ```
 * <prompt, may span lines>
 * Negative prompt: <negative prompt, may span lines>
 * Steps: 20, Sampler: DPM++ 2M SDE, Schedule type: Karras, CFG scale: 5, Seed: 42, Size: 64x64, Model: …
 * ```
 *
 * A1111's reader strips each prompt line and treats a line starting with "Negative prompt:" as the
 * start of the negative prompt, so a few prompts (leading/trailing blanks, such a line inside the
 * prompt) cannot survive its format. For those the writer adds an `Exact prompt` / `Exact negative
 * prompt` field holding the JSON-quoted text, which this reader prefers; other readers still see
 * the stripped prompt, which is the best the format allows.
 */

/** What Stepwise records about one generated image. */
export interface ImageParameters {
  prompt: string
  negativePrompt: string
  /** `num_inference_steps` requested (not the number that ran when stopped early). */
  steps: number
  scheduler: SchedulerClassName
  useKarrasSigmas: boolean
  /** The DPM-Solver `algorithm_type` that ran (DPM-Solver schedulers only). */
  algorithmType?: AlgorithmType
  guidanceScale: number
  seed: number
  width: number
  height: number
  /** The model's folder name. */
  model?: string
  /** diffusers' `guidance_rescale`; omitted from the text when 0. */
  guidanceRescale?: number
  /** The CFG cutoff in force when the run ended; omitted when there was none. */
  cfgCutoff?: CfgCutoff | null
  /** The step index at whose end the run was interrupted; omitted when it ran to the end. */
  stoppedAtStep?: number | null
  /** The execution provider the sessions ran on. */
  provider?: string
  /** Writer name and version, e.g. "Stepwise 0.1.0". */
  version?: string
  /** Image-to-image / inpainting: A1111's `Denoising strength`. */
  strength?: number | null
  /**
   * The input picture (`Init image`): the app's stored id (the PNG's SHA-256), or the CLI's
   * file name. Omitted for text-to-image.
   */
  initImage?: string | null
  /** Inpainting: the mask (`Mask`), as `initImage`. A1111's `Mask blur: 0` goes with it. */
  maskImage?: string | null
}

/** The result of reading a `parameters` text. */
export interface ParsedA1111Parameters {
  prompt: string
  negativePrompt: string
  /** Every `key: value` of the last line, unquoted, in order (unknown keys included). */
  fields: Record<string, string>
  /** The values Stepwise understood; a field that is absent or unreadable is left out. */
  params: Partial<ImageParameters>
  /** One line per field that was present but could not be understood. */
  warnings: string[]
}

/** A1111's sampler name for each diffusers scheduler Stepwise implements (its plain form). */
export const A1111_SAMPLER_NAMES: Readonly<Record<SchedulerClassName, string>> = Object.fromEntries(
  SCHEDULER_CLASS_NAMES.map((name) => [name, a1111SamplerName(name).name])
) as Record<SchedulerClassName, string>

const NEGATIVE_PREFIX = 'Negative prompt:'
const EXACT_PROMPT = 'Exact prompt'
const EXACT_NEGATIVE = 'Exact negative prompt'
const ALGORITHM = 'Algorithm type'

// A1111's `re_param_code`; keys are ASCII here, so JavaScript's ASCII `\w` matches Python's.
const PARAM_RE = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g
const SIZE_RE = /^(\d+)x(\d+)$/

/**
 * A1111's `quote`: JSON-quotes a value containing a comma, newline or colon. Values that start
 * with a double quote or have blanks at either end are quoted too, because A1111's reader would
 * otherwise eat those quotes or blanks.
 */
export function quoteA1111Value(value: string): string {
  if (!/[,\n:]/.test(value) && !value.startsWith('"') && value === value.trim() && value !== '') {
    return value
  }
  return JSON.stringify(value)
}

/** A1111's `unquote`: decodes a JSON-quoted value, leaving anything else as it is. */
export function unquoteA1111Value(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
  try {
    const decoded: unknown = JSON.parse(value)
    return typeof decoded === 'string' ? decoded : value
  } catch {
    return value
  }
}

/** Reads the `key: value` pairs of a parameters line (A1111's `re_param.findall`). */
function findFields(line: string): Array<[string, string]> {
  const found: Array<[string, string]> = []
  for (const match of line.matchAll(PARAM_RE)) {
    const [, key, value] = match
    if (key !== undefined && value !== undefined) found.push([key, value])
  }
  return found
}

/** Splits a parameters text into prompt, negative prompt and raw fields, exactly like A1111. */
function splitInfotext(text: string): {
  prompt: string
  negativePrompt: string
  fields: Array<[string, string]>
} {
  const lines = text.trim().split('\n')
  const last = lines.pop() ?? ''
  let fields = findFields(last)
  if (fields.length < 3) {
    lines.push(last)
    fields = []
  }
  let prompt = ''
  let negativePrompt = ''
  let inNegative = false
  for (const raw of lines) {
    let line = raw.trim()
    if (line.startsWith(NEGATIVE_PREFIX)) {
      inNegative = true
      line = line.slice(NEGATIVE_PREFIX.length).trim()
    }
    if (inNegative) negativePrompt += (negativePrompt === '' ? '' : '\n') + line
    else prompt += (prompt === '' ? '' : '\n') + line
  }
  return {
    prompt,
    negativePrompt,
    fields: fields.map(([k, v]) => [k, unquoteA1111Value(v)])
  }
}

function formatNumber(value: number): string {
  return String(value)
}

/** The `key: value` fields Stepwise writes, in A1111's order, then Stepwise's own. */
function fieldsOf(p: ImageParameters): Array<[string, string]> {
  const sampler = a1111SamplerName(p.scheduler, p.algorithmType)
  const fields: Array<[string, string]> = [
    ['Steps', formatNumber(p.steps)],
    ['Sampler', sampler.name]
  ]
  if (p.useKarrasSigmas) fields.push(['Schedule type', 'Karras'])
  fields.push(
    ['CFG scale', formatNumber(p.guidanceScale)],
    ['Seed', formatNumber(p.seed)],
    ['Size', `${p.width}x${p.height}`]
  )
  if (p.model !== undefined && p.model !== '') fields.push(['Model', p.model])
  if (p.guidanceRescale !== undefined && p.guidanceRescale !== 0) {
    fields.push(['Guidance rescale', formatNumber(p.guidanceRescale)])
  }
  fields.push(['Scheduler', p.scheduler])
  // An algorithm type the sampler name does not say (e.g. sde-dpmsolver) gets a field of its own.
  if (p.algorithmType !== undefined && p.algorithmType !== sampler.algorithmType) {
    fields.push([ALGORITHM, p.algorithmType])
  }
  if (p.cfgCutoff != null) {
    if ('ratio' in p.cfgCutoff) fields.push(['CFG cutoff', formatNumber(p.cfgCutoff.ratio)])
    else fields.push(['CFG cutoff step', formatNumber(p.cfgCutoff.stepIndex)])
  }
  if (p.stoppedAtStep != null) fields.push(['Stopped at step', formatNumber(p.stoppedAtStep)])
  if (p.strength != null) fields.push(['Denoising strength', formatNumber(p.strength)])
  if (p.initImage != null && p.initImage !== '') fields.push(['Init image', p.initImage])
  if (p.maskImage != null && p.maskImage !== '') {
    fields.push(['Mask', p.maskImage], ['Mask blur', '0'])
  }
  if (p.provider !== undefined && p.provider !== '') fields.push(['Provider', p.provider])
  if (p.version !== undefined && p.version !== '') fields.push(['Version', p.version])
  return fields
}

function joinInfotext(prompt: string, negative: string, fields: Array<[string, string]>): string {
  const line = fields.map(([k, v]) => `${k}: ${quoteA1111Value(v)}`).join(', ')
  const negativeText = negative === '' ? '' : `\n${NEGATIVE_PREFIX} ${negative}`
  return `${prompt}${negativeText}\n${line}`.trim()
}

const INPUT_ID = /^[0-9a-f]{64}$/

/** Formats an image's parameters as A1111's `parameters` text. */
export function formatA1111Parameters(p: ImageParameters): string {
  const fields = fieldsOf(p)
  const plain = joinInfotext(p.prompt, p.negativePrompt, fields)
  const readBack = splitInfotext(plain)
  if (readBack.prompt === p.prompt && readBack.negativePrompt === p.negativePrompt) return plain
  // The plain form loses something (see the module comment): carry the exact texts as fields.
  if (readBack.prompt !== p.prompt) fields.push([EXACT_PROMPT, p.prompt])
  if (readBack.negativePrompt !== p.negativePrompt) fields.push([EXACT_NEGATIVE, p.negativePrompt])
  return joinInfotext(p.prompt, p.negativePrompt, fields)
}

function samplerOf(sampler: string, scheduleType: string | undefined): SamplerChoice | null {
  const key = sampler.trim().toLowerCase()
  const find = (name: string): SamplerChoice | undefined =>
    Object.entries(A1111_SAMPLERS).find(([n]) => n.toLowerCase() === name)?.[1]
  // A1111 before 1.9 folded the schedule into the sampler name ("DPM++ 2M Karras").
  const found = find(key) ?? (key.endsWith(' karras') ? find(key.slice(0, -7)) : undefined)
  if (found === undefined) return null
  const karras =
    found.useKarrasSigmas === true ||
    key.endsWith(' karras') ||
    scheduleType?.toLowerCase() === 'karras'
  return { ...found, useKarrasSigmas: karras }
}

/** Reads a parameters text written by Stepwise, A1111 or a compatible tool. */
export function parseA1111Parameters(text: string): ParsedA1111Parameters {
  const split = splitInfotext(text.replace(/\r\n/g, '\n'))
  const fields: Record<string, string> = {}
  for (const [k, v] of split.fields) fields[k] = v
  const params: Partial<ImageParameters> = {}
  const warnings: string[] = []

  const integer = (key: string, min: number): number | undefined => {
    const raw = fields[key]
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (raw.trim() !== '' && Number.isSafeInteger(value) && value >= min) return value
    warnings.push(`${key}: expected an integer ≥ ${min}, found ${JSON.stringify(raw)}`)
    return undefined
  }
  const decimal = (key: string): number | undefined => {
    const raw = fields[key]
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (raw.trim() !== '' && Number.isFinite(value)) return value
    warnings.push(`${key}: expected a number, found ${JSON.stringify(raw)}`)
    return undefined
  }

  params.prompt = fields[EXACT_PROMPT] ?? split.prompt
  params.negativePrompt = fields[EXACT_NEGATIVE] ?? split.negativePrompt
  const steps = integer('Steps', 1)
  if (steps !== undefined) params.steps = steps
  const exactScheduler = fields['Scheduler']
  const fromSampler =
    fields['Sampler'] === undefined ? null : samplerOf(fields['Sampler'], fields['Schedule type'])
  if (exactScheduler !== undefined) {
    const known = SCHEDULER_CLASS_NAMES.find((name) => name === exactScheduler)
    if (known !== undefined) params.scheduler = known
    else warnings.push(`Scheduler: unknown scheduler ${JSON.stringify(exactScheduler)}`)
  } else if (fields['Sampler'] !== undefined && fromSampler === null) {
    warnings.push(`Sampler: no Stepwise scheduler for ${JSON.stringify(fields['Sampler'])}`)
  }
  if (params.scheduler === undefined && fromSampler !== null) {
    params.scheduler = fromSampler.scheduler
  }
  if (fields['Sampler'] !== undefined || fields['Schedule type'] !== undefined) {
    params.useKarrasSigmas =
      fromSampler?.useKarrasSigmas ?? fields['Schedule type']?.toLowerCase() === 'karras'
  }
  const algorithm = fields[ALGORITHM]
  if (algorithm !== undefined) {
    const known = ALGORITHM_TYPES.find((a) => a === algorithm)
    if (known !== undefined) params.algorithmType = known
    else warnings.push(`${ALGORITHM}: unknown algorithm type ${JSON.stringify(algorithm)}`)
  } else if (
    fromSampler?.algorithmType !== undefined &&
    fromSampler.scheduler === params.scheduler
  ) {
    params.algorithmType = fromSampler.algorithmType
  }
  const cfg = decimal('CFG scale')
  if (cfg !== undefined) params.guidanceScale = cfg
  const seed = integer('Seed', 0)
  if (seed !== undefined) params.seed = seed
  const size = fields['Size']
  if (size !== undefined) {
    const m = SIZE_RE.exec(size)
    if (m !== null) {
      params.width = Number(m[1])
      params.height = Number(m[2])
    } else warnings.push(`Size: expected <width>x<height>, found ${JSON.stringify(size)}`)
  }
  if (fields['Model'] !== undefined) params.model = fields['Model']
  const rescale = decimal('Guidance rescale')
  if (rescale !== undefined) params.guidanceRescale = rescale
  const ratio = decimal('CFG cutoff')
  const cutoffStep = integer('CFG cutoff step', 0)
  if (ratio !== undefined) params.cfgCutoff = { ratio }
  else if (cutoffStep !== undefined) params.cfgCutoff = { stepIndex: cutoffStep }
  const stopped = integer('Stopped at step', 0)
  if (stopped !== undefined) params.stoppedAtStep = stopped
  if (fields['Provider'] !== undefined) params.provider = fields['Provider']
  if (fields['Version'] !== undefined) params.version = fields['Version']
  const strength = decimal('Denoising strength')
  if (strength !== undefined) params.strength = strength
  if (fields['Init image'] !== undefined) params.initImage = fields['Init image']
  if (fields['Mask'] !== undefined) params.maskImage = fields['Mask']

  return { prompt: params.prompt, negativePrompt: params.negativePrompt, fields, params, warnings }
}

/**
 * The generation parameters to restore from a parsed text (what a "reuse parameters" button
 * fills in). The model is not included: the text names a folder, not a model id. Pass the
 * result through `GenerateParamsSchema` before use, as for any other input.
 */
export function toGenerateParamsInput(parsed: ParsedA1111Parameters): GenerateParamsInput {
  const p = parsed.params
  const input: GenerateParamsInput = {
    prompt: parsed.prompt,
    negativePrompt: parsed.negativePrompt
  }
  if (p.steps !== undefined) input.numInferenceSteps = p.steps
  if (p.guidanceScale !== undefined) input.guidanceScale = p.guidanceScale
  if (p.guidanceRescale !== undefined) input.guidanceRescale = p.guidanceRescale
  if (p.width !== undefined) input.width = p.width
  if (p.height !== undefined) input.height = p.height
  if (p.seed !== undefined) input.seed = p.seed
  if (p.scheduler !== undefined) input.scheduler = p.scheduler
  if (p.useKarrasSigmas !== undefined) input.useKarrasSigmas = p.useKarrasSigmas
  if (p.algorithmType !== undefined) input.algorithmType = p.algorithmType
  if (p.cfgCutoff !== undefined) input.cfgCutoff = p.cfgCutoff
  if (p.stoppedAtStep !== undefined) input.stopAtStep = p.stoppedAtStep
  if (p.strength != null) input.strength = p.strength
  // Only the app's stored ids restore a picture; a CLI file name does not name one.
  if (p.initImage != null && INPUT_ID.test(p.initImage)) {
    input.initImage = p.initImage
    if (p.maskImage != null && INPUT_ID.test(p.maskImage)) input.maskImage = p.maskImage
  }
  return input
}
