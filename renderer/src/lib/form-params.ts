import type { z } from 'zod'
import { CfgCutoffSchema, GenerateParamsSchema } from '../../../shared/params'
import { describeZodError } from '../../../shared/validation'
import { sizeMultipleIssue } from '../../../shared/size-multiple'
import type { ProviderName } from '../../../shared/params'
import type {
  AlgorithmType,
  CfgCutoff,
  CfgInterval,
  GenerateParams,
  ResultMetadata,
  SchedulerClassName
} from '../contract'

/**
 * The generate form as typed text, and its conversion to the parameters main validates. The UI
 * validates with the very schema main uses (shared/params), so a bad value gets the same message
 * here as it would from main; main still validates everything again.
 */

/** How the CFG cutoff is given: a share of the steps, or an exact step. */
export type CutoffMode = 'percent' | 'step'

/**
 * The run a new generation branches from ("Branch from here"): a job whose steps the inference
 * process holds, or a history entry that kept its steps' state, and the step.
 */
export interface BranchSource {
  jobId?: string
  historyId?: string
  /** The step index whose end state the branch starts from. */
  step: number
  /** How the marker names the parent run (its prompt and seed). */
  label: string
}

/** The form's values, kept as the user typed them. */
export interface FormValues {
  modelId: string
  prompt: string
  negativePrompt: string
  steps: string
  guidance: string
  /** Empty or -1: a random seed. */
  seed: string
  width: string
  height: string
  /** Empty: the model's own scheduler. */
  scheduler: SchedulerClassName | ''
  karras: boolean
  /** DPM-Solver algorithm type ("DPM++ 2M SDE"); empty: the scheduler config's own. */
  algorithmType: AlgorithmType | ''
  cutoffMode: CutoffMode
  /** Slider position, 0–100; 100 = guidance on every step. */
  cutoffPercent: number
  /** Exact mode: the last guided step as a 1-based step number, as typed. */
  cutoffStepNumber: string
  /** The guidance range's start handle, 0–100 % of the steps (0: from the first step). */
  intervalStart: number
  /** The guidance range's end handle, 0–100 % of the steps (100: to the last step). */
  intervalEnd: number
  /** Set by "Branch from here": the next run continues that run from that step. */
  branchFrom: BranchSource | null
  /** Stop after this 1-based step number (empty: run every step), as typed. */
  stopAfterStep: string
  keepPreviews: boolean
  /** Send a preview every N steps (1: every step). */
  previewEvery: string
  /**
   * How previews are made (`linear`, `tiny`, `vae`, `vae:N`); empty: the model's default (`tiny`
   * where it has a tiny decoder). Picking a model goes back to its default.
   */
  previewMethod: string
  /** onnxruntime execution provider; `auto` lets main pick the best available one. */
  provider: ProviderName
}

/** Form fields that can carry a validation message. */
export type FieldName =
  | 'model'
  | 'prompt'
  | 'negativePrompt'
  | 'steps'
  | 'guidance'
  | 'seed'
  | 'width'
  | 'height'
  | 'scheduler'
  | 'cutoff'
  | 'interval'
  | 'branch'
  | 'stopAtStep'
  | 'previewEvery'
  | 'previewMethod'

const FIELD_OF_PARAM: Record<string, FieldName> = {
  modelId: 'model',
  prompt: 'prompt',
  negativePrompt: 'negativePrompt',
  numInferenceSteps: 'steps',
  guidanceScale: 'guidance',
  seed: 'seed',
  width: 'width',
  height: 'height',
  scheduler: 'scheduler',
  cfgCutoff: 'cutoff',
  cfgInterval: 'interval',
  resumeFrom: 'branch',
  stopAtStep: 'stopAtStep',
  previewEvery: 'previewEvery',
  previewMethod: 'previewMethod'
}

/**
 * A number field's value for the schema: empty means "not set", a number-looking text becomes a
 * number, anything else is passed on as text so the schema's message quotes what was typed.
 */
export function parseNumberField(text: string): number | string | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) ? Number(trimmed) : trimmed
}

/** The seed as the schema takes it: null (random) for an empty field or A1111's -1. */
export function parseSeedField(text: string): number | string | null {
  const value = parseNumberField(text)
  return value === undefined || value === -1 ? null : value
}

/** The CFG cutoff the form describes (null: guidance on every step). */
export function cutoffFromForm(values: FormValues): CfgCutoff | null | { stepIndex: unknown } {
  if (values.cutoffMode === 'percent') {
    return values.cutoffPercent >= 100 ? null : { ratio: values.cutoffPercent / 100 }
  }
  const stepNumber = parseNumberField(values.cutoffStepNumber)
  if (stepNumber === undefined) return null
  return { stepIndex: typeof stepNumber === 'number' ? stepNumber - 1 : stepNumber }
}

/** The form's cutoff if it is valid (what the strip and the savings can show), else null. */
export function validCutoffFromForm(values: FormValues): CfgCutoff | null {
  const parsed = CfgCutoffSchema.nullable().safeParse(cutoffFromForm(values))
  return parsed.success ? parsed.data : null
}

/** The guidance interval the range's handles describe (null: from the first to the last step). */
export function intervalFromForm(values: FormValues): CfgInterval | null {
  if (values.intervalStart <= 0 && values.intervalEnd >= 100) return null
  return { startRatio: values.intervalStart / 100, endRatio: values.intervalEnd / 100 }
}

/** The unvalidated request the form describes. */
export function formToCandidate(values: FormValues): Record<string, unknown> {
  const candidate: Record<string, unknown> = {
    prompt: values.prompt,
    negativePrompt: values.negativePrompt,
    seed: parseSeedField(values.seed),
    useKarrasSigmas: values.karras,
    cfgCutoff: cutoffFromForm(values),
    cfgInterval: intervalFromForm(values),
    keepPreviews: values.keepPreviews,
    provider: values.provider
  }
  const branch = values.branchFrom
  if (branch !== null) {
    candidate['resumeFrom'] =
      branch.historyId !== undefined
        ? { historyId: branch.historyId, step: branch.step }
        : { jobId: branch.jobId, step: branch.step }
  }
  const stopAfter = parseNumberField(values.stopAfterStep)
  if (stopAfter !== undefined) {
    candidate['stopAtStep'] = typeof stopAfter === 'number' ? stopAfter - 1 : stopAfter
  }
  if (values.modelId !== '') candidate['modelId'] = values.modelId
  if (values.scheduler !== '') candidate['scheduler'] = values.scheduler
  if (values.algorithmType !== '') candidate['algorithmType'] = values.algorithmType
  if (values.previewMethod !== '') candidate['previewMethod'] = values.previewMethod
  const numeric: [string, string][] = [
    ['numInferenceSteps', values.steps],
    ['guidanceScale', values.guidance],
    ['width', values.width],
    ['height', values.height],
    ['previewEvery', values.previewEvery]
  ]
  for (const [key, text] of numeric) {
    const value = parseNumberField(text)
    if (value !== undefined) candidate[key] = value
  }
  return candidate
}

/** Outcome of checking the form. */
export type FormCheck =
  | { ok: true; params: GenerateParams }
  | { ok: false; message: string; fieldErrors: Partial<Record<FieldName, string>> }

/**
 * Validates the form with main's schema, then the size against the model's size multiple (main's
 * run plan refuses the same sizes with the same words); on failure, says what is wrong per field.
 */
export function checkForm(values: FormValues, model: { sizeMultiple?: number } = {}): FormCheck {
  const parsed = GenerateParamsSchema.safeParse(formToCandidate(values))
  if (!parsed.success) {
    return {
      ok: false,
      message: describeZodError('Cannot generate', parsed.error),
      fieldErrors: fieldErrorsOf(parsed.error)
    }
  }
  const fieldErrors: Partial<Record<FieldName, string>> = {}
  const multiple = model.sizeMultiple
  for (const name of ['width', 'height'] as const) {
    const value = parsed.data[name]
    const issue =
      multiple === undefined || value === undefined ? null : sizeMultipleIssue(value, multiple)
    if (issue !== null) fieldErrors[name] = issue
  }
  const problems = Object.entries(fieldErrors).map(([name, issue]) => `${name}: ${issue}`)
  if (problems.length > 0) {
    return { ok: false, message: `Cannot generate: ${problems.join('; ')}`, fieldErrors }
  }
  return { ok: true, params: parsed.data }
}

/** The hint under the size fields: the model's size multiple (nothing before a model is known). */
export function sizeHint(sizeMultiple: number | undefined): string | undefined {
  return sizeMultiple === undefined ? undefined : `multiple of ${sizeMultiple}`
}

function fieldErrorsOf(error: z.ZodError): Partial<Record<FieldName, string>> {
  const errors: Partial<Record<FieldName, string>> = {}
  for (const issue of error.issues) {
    const key = issue.path[0]
    const field = typeof key === 'string' ? FIELD_OF_PARAM[key] : undefined
    if (field !== undefined && errors[field] === undefined) errors[field] = issue.message
  }
  return errors
}

/** The form values that reproduce a stored result ("use these parameters" in history). */
export function valuesFromResult(
  params: GenerateParams,
  result: Pick<
    ResultMetadata,
    | 'modelId'
    | 'seed'
    | 'numInferenceSteps'
    | 'guidanceScale'
    | 'width'
    | 'height'
    | 'scheduler'
    | 'useKarrasSigmas'
    | 'algorithmType'
    | 'cfgCutoff'
    | 'cfgInterval'
  > & { numTimesteps?: number },
  current: FormValues
): FormValues {
  // The result's resolved values, not the request's: a request that left steps or size to the
  // model's defaults must still reproduce the same image if those defaults change, and a cutoff
  // moved during the run is the one that made the image.
  const cutoff = result.cfgCutoff
  return {
    ...current,
    modelId: result.modelId,
    prompt: params.prompt,
    negativePrompt: params.negativePrompt,
    steps: String(result.numInferenceSteps),
    guidance: String(result.guidanceScale),
    seed: String(result.seed),
    width: String(result.width),
    height: String(result.height),
    scheduler: result.scheduler,
    karras: result.useKarrasSigmas,
    algorithmType: result.algorithmType ?? '',
    cutoffMode: cutoff !== null && 'stepIndex' in cutoff ? 'step' : 'percent',
    cutoffPercent: cutoff !== null && 'ratio' in cutoff ? Math.round(cutoff.ratio * 100) : 100,
    cutoffStepNumber:
      cutoff !== null && 'stepIndex' in cutoff
        ? String(cutoff.stepIndex + 1)
        : current.cutoffStepNumber,
    ...intervalPercents(result.cfgInterval ?? null, result.numTimesteps ?? 0),
    branchFrom: null,
    stopAfterStep: '',
    keepPreviews: params.keepPreviews,
    previewEvery: String(params.previewEvery),
    previewMethod: params.previewMethod ?? '',
    provider: params.provider
  }
}

/** The range handles that show an interval (step indices as their share of T). */
function intervalPercents(
  interval: CfgInterval | null,
  numTimesteps: number
): Pick<FormValues, 'intervalStart' | 'intervalEnd'> {
  if (interval === null) return { intervalStart: 0, intervalEnd: 100 }
  if ('startRatio' in interval) {
    return {
      intervalStart: Math.round(interval.startRatio * 100),
      intervalEnd: Math.round(interval.endRatio * 100)
    }
  }
  const share = (i: number): number =>
    numTimesteps <= 0 ? 0 : Math.min(100, Math.ceil((i / numTimesteps) * 100))
  return {
    intervalStart: share(interval.startStepIndex),
    intervalEnd: share(interval.endStepIndex)
  }
}
