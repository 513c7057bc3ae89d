import { z } from 'zod'

/**
 * Generation parameters: one schema for the UI, IPC, the browser-mode API and the CLI, so a bad
 * value gets the same specific message whichever door it came through. Model-dependent values
 * (steps, guidance, size, scheduler) are optional here and default to the model's own settings.
 */

/** diffusers' scheduler class names that Stepwise implements. */
export const SCHEDULER_CLASS_NAMES = [
  'DPMSolverMultistepScheduler',
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'DDIMScheduler',
  'PNDMScheduler',
  'LMSDiscreteScheduler',
  'LCMScheduler'
] as const

/** A diffusers scheduler class name. */
export type SchedulerClassName = (typeof SCHEDULER_CLASS_NAMES)[number]

/** Short names people type, mapped to diffusers class names (case-insensitive). */
export const SCHEDULER_ALIASES: Readonly<Record<string, SchedulerClassName>> = {
  dpm: 'DPMSolverMultistepScheduler',
  'dpm++': 'DPMSolverMultistepScheduler',
  dpmpp: 'DPMSolverMultistepScheduler',
  'dpm-solver': 'DPMSolverMultistepScheduler',
  'dpmsolver++': 'DPMSolverMultistepScheduler',
  euler: 'EulerDiscreteScheduler',
  'euler-a': 'EulerAncestralDiscreteScheduler',
  euler_a: 'EulerAncestralDiscreteScheduler',
  'euler-ancestral': 'EulerAncestralDiscreteScheduler',
  ddim: 'DDIMScheduler',
  pndm: 'PNDMScheduler',
  plms: 'PNDMScheduler',
  lms: 'LMSDiscreteScheduler',
  lcm: 'LCMScheduler'
}

/** Resolves a class name or alias (any case) to a class name, or null if unknown. */
export function resolveSchedulerName(name: string): SchedulerClassName | null {
  const trimmed = name.trim()
  const exact = SCHEDULER_CLASS_NAMES.find((c) => c.toLowerCase() === trimmed.toLowerCase())
  return exact ?? SCHEDULER_ALIASES[trimmed.toLowerCase()] ?? null
}

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
  numImagesPerPrompt: { min: 1, max: 8 }
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

/**
 * Where classifier-free guidance ends: after step index `int(T · ratio)` or after an exact
 * step index (diffusers' `cutoff_step_ratio` / `cutoff_step_index`).
 */
export const CfgCutoffSchema = z.union([
  z.strictObject({ ratio: numberIn(0, 1) }),
  z.strictObject({ stepIndex: integerIn(0, LIMITS.steps.max * 2) })
])

/** A CFG cutoff setting. */
export type CfgCutoff = z.infer<typeof CfgCutoffSchema>

const schedulerName = z.string().transform((name, ctx) => {
  const resolved = resolveSchedulerName(name)
  if (resolved === null) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown scheduler ${show(name)} (allowed: ${SCHEDULER_CLASS_NAMES.join(', ')}, or ${Object.keys(SCHEDULER_ALIASES).join(', ')})`
    })
    return z.NEVER
  }
  return resolved
})

/** The parameters of one generation as a UI or API caller sends them. */
export const GenerateParamsSchema = z.strictObject({
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
  /** A diffusers class name or alias; the model's own scheduler when omitted. */
  scheduler: schedulerName.optional(),
  useKarrasSigmas: z.boolean({ error: 'must be true or false' }).default(false),
  cfgCutoff: CfgCutoffSchema.nullable().default(null),
  /** Interrupt at the end of this step index (diffusers' early-stopping example). */
  stopAtStep: integerIn(0, LIMITS.steps.max * 2)
    .nullable()
    .default(null),
  previewEvery: integerIn(LIMITS.previewEvery.min, LIMITS.previewEvery.max).default(1),
  numImagesPerPrompt: integerIn(
    LIMITS.numImagesPerPrompt.min,
    LIMITS.numImagesPerPrompt.max
  ).default(1),
  /** Keep every step's preview beside the result in history. */
  keepPreviews: z.boolean({ error: 'must be true or false' }).default(false),
  provider: z
    .enum(PROVIDER_NAMES, {
      error: (iss) => `unknown provider ${show(iss.input)} (allowed: ${PROVIDER_NAMES.join(', ')})`
    })
    .default('auto')
})

/** Generation parameters as sent (optional fields may be absent). */
export type GenerateParamsInput = z.input<typeof GenerateParamsSchema>

/** Generation parameters after validation, with defaults applied. */
export type GenerateParams = z.output<typeof GenerateParamsSchema>
