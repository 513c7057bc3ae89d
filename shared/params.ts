import { z } from 'zod'
import {
  A1111_SAMPLERS,
  ALGORITHM_TYPES,
  SCHEDULER_ALIASES,
  SCHEDULER_CLASS_NAMES,
  resolveSampler
} from './schedulers'
import type { SamplerChoice, SchedulerClassName } from './schedulers'
import { formatPreviewMethod, parsePreviewMethod } from './preview-method'

/**
 * Generation parameters: one schema for the UI, IPC, the browser-mode API and the CLI, so a bad
 * value gets the same specific message whichever door it came through. Model-dependent values
 * (steps, guidance, size, scheduler) are optional here and default to the model's own settings.
 */

export {
  A1111_SAMPLERS,
  ALGORITHM_TYPES,
  ALGORITHM_TYPES_OF,
  SCHEDULER_ALIASES,
  SCHEDULER_CLASS_NAMES,
  resolveSampler,
  resolveSchedulerName
} from './schedulers'
export type { AlgorithmType, SamplerChoice, SchedulerClassName } from './schedulers'

/** Execution providers a user can ask for; `auto` picks the best available one. */
export const PROVIDER_NAMES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const

/** An execution-provider choice. */
export type ProviderName = (typeof PROVIDER_NAMES)[number]

/** Bounds of every numeric parameter. */
export const LIMITS = {
  steps: { min: 1, max: 500 },
  guidanceScale: { min: 0, max: 50 },
  guidanceRescale: { min: 0, max: 1 },
  size: { min: 8, max: 2048, multiple: 8 },
  seed: { min: 0, max: Number.MAX_SAFE_INTEGER },
  promptChars: 20_000,
  previewEvery: { min: 1, max: 1000 },
  numImagesPerPrompt: { min: 1, max: 8 },
  /** Image-to-image / inpainting strength: above 0 (0 would run no step), at most 1. */
  strength: { min: 0, max: 1, default: 0.75 }
} as const

function show(value: unknown): string {
  if (typeof value === 'number') return String(value)
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** An integer in [min, max]; the message says both what came and what is allowed. */
export function integerIn(min: number, max: number): z.ZodType<number> {
  const error = (iss: { input?: unknown }): string =>
    `must be an integer from ${min} to ${max} (got ${show(iss.input)})`
  return z.number({ error }).refine((v) => Number.isInteger(v) && v >= min && v <= max, { error })
}

/** A finite number in [min, max]. */
export function numberIn(min: number, max: number): z.ZodType<number> {
  const error = (iss: { input?: unknown }): string =>
    `must be a finite number from ${min} to ${max} (got ${show(iss.input)})`
  return z.number({ error }).refine((v) => Number.isFinite(v) && v >= min && v <= max, { error })
}

/** Width or height in pixels: a multiple of 8 within the size limits. */
export function pixelSize(): z.ZodType<number> {
  const { min, max, multiple } = LIMITS.size
  const error = (iss: { input?: unknown }): string =>
    `must be a multiple of ${multiple} from ${min} to ${max} (got ${show(iss.input)})`
  return z
    .number({ error })
    .refine((v) => Number.isInteger(v) && v % multiple === 0 && v >= min && v <= max, { error })
}

/** A strength: a number above 0 and at most 1. */
export function strengthValue(): z.ZodType<number> {
  const error = (iss: { input?: unknown }): string =>
    `must be a number above 0 and at most 1 (got ${show(iss.input)})`
  return z.number({ error }).refine((v) => Number.isFinite(v) && v > 0 && v <= 1, { error })
}

/** An input picture stored by the app: the SHA-256 (64 hex digits) of its PNG file. */
export const InputImageIdSchema = z
  .string({ error: 'must be an input image id' })
  .regex(/^[0-9a-f]{64}$/, 'must be an input image id (64 hexadecimal digits)')

/**
 * Where classifier-free guidance ends: after step index `int(T · ratio)` or after an exact
 * step index (diffusers' `cutoff_step_ratio` / `cutoff_step_index`).
 */
export const CfgCutoffSchema = z.union(
  [
    z.strictObject({ ratio: numberIn(0, 1) }),
    z.strictObject({ stepIndex: integerIn(0, LIMITS.steps.max * 2) })
  ],
  { error: 'must give exactly one of a ratio (0 to 1) or a step index' }
)

/** A CFG cutoff setting. */
export type CfgCutoff = z.infer<typeof CfgCutoffSchema>

/**
 * Where classifier-free guidance runs: the window `[start, end)` of the steps, as shares of the
 * run (step `int(T · r)`, as diffusers turns a ratio into a step) or as step indices. The steps
 * outside it run the UNet at batch 1 without guidance. A CFG cutoff with index c is `[0, c + 1)`.
 */
export const CfgIntervalSchema = z
  .union([
    z.strictObject({ startRatio: numberIn(0, 1), endRatio: numberIn(0, 1) }),
    z.strictObject({
      startStepIndex: integerIn(0, LIMITS.steps.max * 2),
      endStepIndex: integerIn(0, LIMITS.steps.max * 2)
    })
  ])
  .superRefine((interval, ctx) => {
    const [start, end] =
      'startRatio' in interval
        ? [interval.startRatio, interval.endRatio]
        : [interval.startStepIndex, interval.endStepIndex]
    if (start >= end) {
      ctx.addIssue({
        code: 'custom',
        message: `the start must be below the end (got ${start} and ${end})`
      })
    }
  })

/** A guidance interval setting. */
export type CfgInterval = z.infer<typeof CfgIntervalSchema>

/**
 * The run a generation continues from (Continue) or branches off (Branch from here): a stopped
 * or kept history entry, or a job whose step snapshots the inference process still holds, and
 * the step whose end state the new run starts from.
 */
export const ResumeFromSchema = z
  .strictObject({
    historyId: z
      .string({ error: 'must be a history id' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a history id')
      .optional(),
    jobId: z
      .string({ error: 'must be a job id' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a job id')
      .optional(),
    step: integerIn(0, LIMITS.steps.max * 2)
  })
  .superRefine((from, ctx) => {
    if ((from.historyId === undefined) === (from.jobId === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either historyId or jobId (one of them)' })
    }
  })

/** Where a generation resumes from. */
export type ResumeFrom = z.infer<typeof ResumeFromSchema>

const schedulerName = z.string({ error: 'must be text' }).transform((name, ctx) => {
  const resolved = resolveSampler(name)
  if (resolved === null) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown scheduler ${show(name)} (allowed: ${SCHEDULER_CLASS_NAMES.join(', ')}; an alias: ${Object.keys(SCHEDULER_ALIASES).join(', ')}; or an AUTOMATIC1111 sampler name: ${Object.keys(A1111_SAMPLERS).join(', ')})`
    })
    return z.NEVER
  }
  return resolved
})

/**
 * Applies what a sampler name implies ("DPM++ 2M SDE Karras": Karras sigmas and
 * `sde-dpmsolver++`) to the parameters; an explicit algorithm type that contradicts the name is
 * an error rather than a silent choice.
 */
function applySamplerChoice<P extends { useKarrasSigmas: boolean; algorithmType?: string }>(
  choice: SamplerChoice,
  params: P,
  ctx: z.RefinementCtx
): P & { scheduler: SamplerChoice['scheduler'] } {
  const implied = choice.algorithmType
  if (
    implied !== undefined &&
    params.algorithmType !== undefined &&
    params.algorithmType !== implied
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['algorithmType'],
      message: `${show(params.algorithmType)} contradicts the scheduler name, which means ${show(implied)}`
    })
  }
  return {
    ...params,
    scheduler: choice.scheduler,
    useKarrasSigmas: params.useKarrasSigmas || choice.useKarrasSigmas === true,
    ...(implied === undefined ? {} : { algorithmType: implied })
  }
}

/**
 * A preview method in its text form (`linear`, `tiny`, `vae`, `vae:N`), normalised (`VAE : 5`
 * becomes `vae:5`); refused with the same message the engine and the CLI give.
 */
export const PreviewMethodTextSchema = z
  .string({ error: 'must be text: linear, tiny, vae or vae:N' })
  .transform((text, ctx) => {
    try {
      return formatPreviewMethod(parsePreviewMethod(text))
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
      return z.NEVER
    }
  })

const GenerateFields = z.strictObject({
  /** Model id from `listModels()`; the default model when omitted. */
  modelId: z.string().min(1).max(4096).optional(),
  prompt: z
    .string({ error: 'must be text' })
    .max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`),
  negativePrompt: z
    .string({ error: 'must be text' })
    .max(LIMITS.promptChars, `must be at most ${LIMITS.promptChars} characters`)
    .default(''),
  numInferenceSteps: integerIn(LIMITS.steps.min, LIMITS.steps.max).optional(),
  guidanceScale: numberIn(LIMITS.guidanceScale.min, LIMITS.guidanceScale.max).optional(),
  guidanceRescale: numberIn(LIMITS.guidanceRescale.min, LIMITS.guidanceRescale.max).default(0),
  width: pixelSize().optional(),
  height: pixelSize().optional(),
  /** null or omitted: a random seed, reported back with the result. */
  seed: integerIn(LIMITS.seed.min, LIMITS.seed.max).nullable().default(null),
  /**
   * A diffusers class name, alias or AUTOMATIC1111 sampler name ("DPM++ 2M SDE Karras"); the
   * model's own scheduler when omitted. A sampler name also sets what it implies.
   */
  scheduler: schedulerName.optional(),
  useKarrasSigmas: z.boolean({ error: 'must be true or false' }).default(false),
  /**
   * diffusers' `algorithm_type` for the DPM-Solver schedulers (`sde-dpmsolver++` is DPM++ 2M
   * SDE); the scheduler config's own when omitted.
   */
  algorithmType: z
    .enum(ALGORITHM_TYPES, {
      error: (iss) =>
        `unknown algorithm type ${show(iss.input)} (allowed: ${ALGORITHM_TYPES.join(', ')})`
    })
    .optional(),
  cfgCutoff: CfgCutoffSchema.nullable().default(null),
  /** Guidance only inside this window of the steps (with a cutoff too: where both allow it). */
  cfgInterval: CfgIntervalSchema.nullable().default(null),
  /**
   * Continue a stopped run, or branch from one of its steps: the new run starts from that step's
   * saved state; size, steps, scheduler, seed and model stay the parent's.
   */
  resumeFrom: ResumeFromSchema.nullable().default(null),
  /** Interrupt at the end of this step index (diffusers' early-stopping example). */
  stopAtStep: integerIn(0, LIMITS.steps.max * 2)
    .nullable()
    .default(null),
  previewEvery: integerIn(LIMITS.previewEvery.min, LIMITS.previewEvery.max).default(1),
  /**
   * How previews are made: `linear`, `tiny`, `vae` or `vae:N` (shared/preview-method.ts); the
   * model's default when omitted (`tiny` where it has a tiny decoder, else `linear`).
   */
  previewMethod: PreviewMethodTextSchema.optional(),
  numImagesPerPrompt: integerIn(
    LIMITS.numImagesPerPrompt.min,
    LIMITS.numImagesPerPrompt.max
  ).default(1),
  /**
   * Image-to-image: the stored input picture to start from (`putInputImage`), resized to the
   * run's size. null: text-to-image.
   */
  initImage: InputImageIdSchema.nullable().optional(),
  /** Inpainting: the stored mask (white repaints, black keeps); needs `initImage`. */
  maskImage: InputImageIdSchema.nullable().optional(),
  /**
   * How much of the schedule runs from the input picture (A1111's denoising strength); default
   * `LIMITS.strength.default`. Ignored without `initImage`.
   */
  strength: strengthValue().optional(),
  /** Keep every step's preview beside the result in history. */
  keepPreviews: z.boolean({ error: 'must be true or false' }).default(false),
  provider: z
    .enum(PROVIDER_NAMES, {
      error: (iss) => `unknown provider ${show(iss.input)} (allowed: ${PROVIDER_NAMES.join(', ')})`
    })
    .default('auto')
})

/** The parameters of one generation as a UI or API caller sends them. */
export const GenerateParamsSchema = GenerateFields.transform(
  (
    fields,
    ctx
  ): Omit<z.output<typeof GenerateFields>, 'scheduler'> & {
    scheduler?: SchedulerClassName
  } => {
    const { scheduler, ...rest } = fields
    if (rest.maskImage != null && rest.initImage == null) {
      ctx.addIssue({
        code: 'custom',
        path: ['maskImage'],
        message: 'a mask needs an input image (initImage) to inpaint'
      })
    }
    return scheduler === undefined ? rest : applySamplerChoice(scheduler, rest, ctx)
  }
)

/** Generation parameters as sent (optional fields may be absent). */
export type GenerateParamsInput = z.input<typeof GenerateParamsSchema>

/** Generation parameters after validation, with defaults applied. */
export type GenerateParams = z.output<typeof GenerateParamsSchema>
