import { Tensor } from 'onnxruntime-node'
import type { KeptAsideGuidance } from '../callbacks/callback-types'
import { Generator } from '../random/generator'
import type { Scheduler } from '../schedulers/scheduler'
import { canonicalJson } from '../schedulers/scheduler-state'
import {
  RunSnapshotError,
  type ModelIdentity,
  type RunSnapshot,
  type SnapshotTensor
} from './run-snapshot'

/** The call options a snapshot records, as JSON (the pipeline's defaults filled in). */
export const SNAPSHOT_PARAM_KEYS = [
  'prompt',
  'negativePrompt',
  'prompt2',
  'negativePrompt2',
  'numInferenceSteps',
  'guidanceScale',
  'guidanceRescale',
  'height',
  'width',
  'numImagesPerPrompt',
  'eta',
  'clipSkip',
  'originalSize',
  'cropsCoordsTopLeft',
  'targetSize',
  'negativeOriginalSize',
  'negativeCropsCoordsTopLeft',
  'negativeTargetSize',
  'denoisingEnd'
] as const

/** The prompts: a branch may change them (the conditioning is encoded again). */
export const PROMPT_KEYS = ['prompt', 'negativePrompt', 'prompt2', 'negativePrompt2'] as const

/** What a branch may change besides the prompts; everything else a continued run keeps. */
const BRANCHABLE = new Set<string>([...PROMPT_KEYS, 'guidanceScale', 'guidanceRescale'])

const EMBEDS: Record<string, readonly string[]> = {
  promptEmbeds: ['prompt', 'prompt2'],
  negativePromptEmbeds: ['negativePrompt', 'negativePrompt2']
}

/** The options a call records in its snapshots: its JSON options, resolved values over them. */
export function snapshotParams(
  options: object,
  resolved: Record<string, unknown>
): Record<string, unknown> {
  const given = options as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of SNAPSHOT_PARAM_KEYS) {
    const value = key in resolved ? resolved[key] : given[key]
    if (value !== undefined) out[key] = value
  }
  return Object.freeze(out)
}

/**
 * The options of a call continued from `snapshot`: the snapshot's recorded options, with what the
 * call gives over them. Throws {@link RunSnapshotError} when the call asks to change what a
 * continued run keeps (size, steps and the rest: only the prompts and guidance may change) or
 * passes starting latents or a generator (the snapshot has both).
 */
export function resumeOptions<T extends object>(options: T, snapshot: RunSnapshot): T {
  const given = options as Record<string, unknown>
  for (const key of ['latents', 'generator']) {
    if (given[key] !== undefined && given[key] !== null) {
      throw new RunSnapshotError(
        `resumeFrom: do not pass ${key} when continuing a run; the snapshot holds the run's ${key === 'latents' ? 'latents' : 'random state'}`
      )
    }
  }
  const merged: Record<string, unknown> = { ...given }
  const dropped = new Set<string>()
  for (const [embeds, prompts] of Object.entries(EMBEDS)) {
    if (given[embeds] !== undefined && given[embeds] !== null)
      prompts.forEach((p) => dropped.add(p))
  }
  for (const key of SNAPSHOT_PARAM_KEYS) {
    const recorded = snapshot.params[key]
    const asked = given[key]
    if (asked === undefined) {
      if (recorded !== undefined && !dropped.has(key)) merged[key] = recorded
      continue
    }
    if (!BRANCHABLE.has(key) && canonicalJson(asked) !== canonicalJson(recorded ?? null)) {
      throw new RunSnapshotError(
        `resumeFrom: a continued run keeps its ${key} (${show(recorded)}); the call asks for ${show(asked)}. Size, steps, scheduler and model stay the same; a branch may change the prompts, the guidance scale and where guidance runs`
      )
    }
  }
  return merged as T
}

/** Whether the call encodes its prompts again instead of taking the snapshot's conditioning. */
export function promptsChanged(options: object, snapshot: RunSnapshot): boolean {
  const given = options as Record<string, unknown>
  if (Object.keys(EMBEDS).some((k) => given[k] !== undefined && given[k] !== null)) return true
  return PROMPT_KEYS.some(
    (k) => canonicalJson(given[k] ?? null) !== canonicalJson(snapshot.params[k] ?? null)
  )
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value)
}

/** Refuses a snapshot of another model. */
export function checkSnapshotModel(snapshot: RunSnapshot, identity: ModelIdentity): void {
  const s = snapshot.model
  if (s.family !== identity.family) {
    throw new RunSnapshotError(
      `the snapshot is of an ${s.family.toUpperCase()} run (model "${s.name}"), but this is an ${identity.family.toUpperCase()} pipeline (model "${identity.name}"); a run continues only on the model that started it`
    )
  }
  if (s.fingerprint !== identity.fingerprint) {
    throw new RunSnapshotError(
      `the snapshot belongs to model "${s.name}" (fingerprint ${s.fingerprint.slice(0, 12)}), not to "${identity.name}" (fingerprint ${identity.fingerprint.slice(0, 12)}); a run continues only on the model that started it`
    )
  }
}

/**
 * Refuses to continue a snapshot with another scheduler than the one it ran (a caller that
 * plans its own scheduler, e.g. from a request, checks it here; the pipeline itself always
 * continues with the snapshot's).
 */
export function checkSnapshotScheduler(snapshot: RunSnapshot, scheduler: Scheduler): void {
  const saved = snapshot.scheduler
  if (saved.className !== scheduler.className) {
    throw new RunSnapshotError(
      `a continued run keeps its scheduler: the snapshot's run used ${saved.className}, this run asks for ${scheduler.className}`
    )
  }
  if (canonicalJson(saved.config) !== canonicalJson(scheduler.config)) {
    const differing = Object.keys({ ...saved.config, ...scheduler.config }).filter(
      (k) =>
        canonicalJson(saved.config[k] ?? null) !==
        canonicalJson((scheduler.config as Record<string, unknown>)[k] ?? null)
    )
    throw new RunSnapshotError(
      `a continued run keeps its scheduler's settings: the snapshot's ${saved.className} differs from this run's in ${differing.join(', ')}`
    )
  }
}

/** A snapshot tensor as an onnxruntime tensor (`copy`: its own values, for the latents). */
export function tensorOf(t: SnapshotTensor, copy: boolean): Tensor {
  return new Tensor('float32', copy ? t.data.slice() : t.data, t.dims)
}

/** The kept-aside guidance of a snapshot, as the pipeline holds it. */
export function keptAsideOf(snapshot: RunSnapshot): KeptAsideGuidance | null {
  const kept = snapshot.guidance.keptAside
  if (kept === null) return null
  return {
    guidanceScale: kept.guidanceScale,
    tensors: Object.fromEntries(
      Object.entries(kept.tensors).map(([name, t]) => [name, tensorOf(t, false)])
    )
  }
}

/** A generator in the snapshot's state. */
export function generatorOf(snapshot: RunSnapshot): Generator {
  const g = snapshot.generator
  return new Generator().setState({
    seed: BigInt(g.seed),
    twister: { words: g.words.slice(), index: g.index },
    nextDoubleNormal: g.nextDoubleNormal
  })
}
