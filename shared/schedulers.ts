/**
 * The schedulers people can pick, by diffusers class name, by short alias and by the sampler
 * names of AUTOMATIC1111 (mapped as diffusers' scheduler documentation maps them). One table for
 * the app's picker, the CLI, the API schema and the A1111 `parameters` text.
 */

/** diffusers' scheduler class names that Stepwise implements. */
export const SCHEDULER_CLASS_NAMES = [
  'DPMSolverMultistepScheduler',
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'DDIMScheduler',
  'PNDMScheduler',
  'LMSDiscreteScheduler',
  'LCMScheduler',
  'UniPCMultistepScheduler',
  'HeunDiscreteScheduler',
  'KDPM2DiscreteScheduler',
  'KDPM2AncestralDiscreteScheduler',
  'DPMSolverSinglestepScheduler',
  'DEISMultistepScheduler',
  'TCDScheduler'
] as const

/** A diffusers scheduler class name. */
export type SchedulerClassName = (typeof SCHEDULER_CLASS_NAMES)[number]

/** diffusers' `algorithm_type` values of the DPM-Solver schedulers (SDE variants included). */
export const ALGORITHM_TYPES = [
  'dpmsolver++',
  'sde-dpmsolver++',
  'dpmsolver',
  'sde-dpmsolver'
] as const

/** A DPM-Solver `algorithm_type`. */
export type AlgorithmType = (typeof ALGORITHM_TYPES)[number]

/** The classes that have an `algorithm_type` (and the values each accepts). */
export const ALGORITHM_TYPES_OF: Readonly<
  Partial<Record<SchedulerClassName, readonly AlgorithmType[]>>
> = {
  DPMSolverMultistepScheduler: ALGORITHM_TYPES,
  DPMSolverSinglestepScheduler: ['dpmsolver++', 'sde-dpmsolver++', 'dpmsolver']
}

/** What a sampler name stands for: a class, and the settings the name implies. */
export interface SamplerChoice {
  scheduler: SchedulerClassName
  /** The name implies Karras sigmas ("DPM++ 2M Karras"). */
  useKarrasSigmas?: boolean
  /** The name implies an algorithm type ("DPM++ 2M SDE" is `sde-dpmsolver++`). */
  algorithmType?: AlgorithmType
}

/**
 * AUTOMATIC1111's sampler names, as diffusers' scheduler overview maps them to its classes
 * ("DPM++ SDE" is `DPMSolverSinglestepScheduler` there; "PLMS" is PNDM's linear multistep).
 * The first name listed for a class is the one Stepwise writes.
 */
export const A1111_SAMPLERS: Readonly<Record<string, SamplerChoice>> = {
  'DPM++ 2M': { scheduler: 'DPMSolverMultistepScheduler', algorithmType: 'dpmsolver++' },
  'DPM++ 2M Karras': {
    scheduler: 'DPMSolverMultistepScheduler',
    useKarrasSigmas: true,
    algorithmType: 'dpmsolver++'
  },
  'DPM++ 2M SDE': { scheduler: 'DPMSolverMultistepScheduler', algorithmType: 'sde-dpmsolver++' },
  'DPM++ 2M SDE Karras': {
    scheduler: 'DPMSolverMultistepScheduler',
    useKarrasSigmas: true,
    algorithmType: 'sde-dpmsolver++'
  },
  'DPM++ SDE': { scheduler: 'DPMSolverSinglestepScheduler' },
  'DPM++ SDE Karras': { scheduler: 'DPMSolverSinglestepScheduler', useKarrasSigmas: true },
  Euler: { scheduler: 'EulerDiscreteScheduler' },
  'Euler a': { scheduler: 'EulerAncestralDiscreteScheduler' },
  Heun: { scheduler: 'HeunDiscreteScheduler' },
  DPM2: { scheduler: 'KDPM2DiscreteScheduler' },
  'DPM2 Karras': { scheduler: 'KDPM2DiscreteScheduler', useKarrasSigmas: true },
  'DPM2 a': { scheduler: 'KDPM2AncestralDiscreteScheduler' },
  'DPM2 a Karras': { scheduler: 'KDPM2AncestralDiscreteScheduler', useKarrasSigmas: true },
  LMS: { scheduler: 'LMSDiscreteScheduler' },
  'LMS Karras': { scheduler: 'LMSDiscreteScheduler', useKarrasSigmas: true },
  DDIM: { scheduler: 'DDIMScheduler' },
  PLMS: { scheduler: 'PNDMScheduler' },
  UniPC: { scheduler: 'UniPCMultistepScheduler' },
  DEIS: { scheduler: 'DEISMultistepScheduler' },
  LCM: { scheduler: 'LCMScheduler' },
  TCD: { scheduler: 'TCDScheduler' }
}

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
  lcm: 'LCMScheduler',
  unipc: 'UniPCMultistepScheduler',
  heun: 'HeunDiscreteScheduler',
  dpm2: 'KDPM2DiscreteScheduler',
  kdpm2: 'KDPM2DiscreteScheduler',
  'dpm2-a': 'KDPM2AncestralDiscreteScheduler',
  'kdpm2-a': 'KDPM2AncestralDiscreteScheduler',
  'dpm-singlestep': 'DPMSolverSinglestepScheduler',
  deis: 'DEISMultistepScheduler',
  tcd: 'TCDScheduler'
}

const fold = (name: string): string => name.trim().replace(/\s+/g, ' ').toLowerCase()

/**
 * Resolves a class name, alias or A1111 sampler name (any case, extra blanks ignored) to the
 * class and the settings the name implies, or null if unknown.
 */
export function resolveSampler(name: string): SamplerChoice | null {
  const key = fold(name)
  const exact = SCHEDULER_CLASS_NAMES.find((c) => c.toLowerCase() === key)
  if (exact !== undefined) return { scheduler: exact }
  const a1111 = Object.entries(A1111_SAMPLERS).find(([n]) => n.toLowerCase() === key)
  if (a1111 !== undefined) return { ...a1111[1] }
  const alias = SCHEDULER_ALIASES[key]
  return alias === undefined ? null : { scheduler: alias }
}

/** Resolves a class name, alias or A1111 sampler name to a class name, or null if unknown. */
export function resolveSchedulerName(name: string): SchedulerClassName | null {
  return resolveSampler(name)?.scheduler ?? null
}

/**
 * The A1111 sampler name to write for a class run with `algorithmType` (modern A1111 style: the
 * schedule type, e.g. Karras, goes in a field of its own), and the algorithm type that name
 * implies. A class run with an algorithm type no A1111 name stands for gets its plain name.
 */
export function a1111SamplerName(
  scheduler: SchedulerClassName,
  algorithmType?: AlgorithmType
): { name: string; algorithmType?: AlgorithmType } {
  const plain = Object.entries(A1111_SAMPLERS).filter(
    ([, c]) => c.scheduler === scheduler && c.useKarrasSigmas !== true
  )
  const found = plain.find(([, c]) => c.algorithmType === algorithmType) ?? plain[0]
  if (found === undefined) return { name: scheduler }
  return found[1].algorithmType === undefined
    ? { name: found[0] }
    : { name: found[0], algorithmType: found[1].algorithmType }
}
