import type { PipelineFamily } from '../models/model-index'
import type { SchedulerState } from '../schedulers/scheduler-state'

/**
 * A run's state at the end of a step, after the callbacks: everything the denoising loop reads
 * from then on, so that `pipe.call({ resumeFrom })` runs the remaining steps exactly as the
 * uninterrupted run would have. Plain data (numbers, strings, typed arrays): it is a structured
 * clone, so it can be posted from the inference process to main as it is, and kept in memory
 * cheaply (tensors the loop never changes in place are shared, not copied).
 *
 * Open by design: `tensors` is a table by name (the loop's named tensors: `latents`, the
 * conditioning; image-to-image adds its own), and `params` holds the call's options as JSON.
 */
export interface RunSnapshot {
  /** The model the run belongs to; a snapshot continues only on that model. */
  model: ModelIdentity
  /** The call's options as JSON (prompts, steps, size, guidance, …), the pipeline's defaults filled in. */
  params: Record<string, unknown>
  /** The index of the last step that ran (diffusers' callback `i`); a continued run starts at step + 1. */
  step: number
  /** The timesteps the loop iterates (T of them), as the run set them. */
  timesteps: number[]
  /** N, the number of inference steps (diffusers' progress rule). */
  numInferenceSteps: number
  /** B: prompts × images per prompt. */
  batchSize: number
  /** The scheduler's class, config and complete mutable state. */
  scheduler: SchedulerState
  /** The random generator the steps draw their noise from. */
  generator: GeneratorSnapshot
  /** Classifier-free guidance as the next step will read it. */
  guidance: GuidanceSnapshot
  /**
   * The loop's named tensors (`latents`; `prompt_embeds`, SD's `negative_prompt_embeds`, SDXL's
   * `add_text_embeds` and `add_time_ids`), as the next step will read them; null where the
   * pipeline has none.
   */
  tensors: Record<string, SnapshotTensor | null>
  /** The caller's own JSON (the app keeps its request here); the engine leaves it as it is. */
  meta: Record<string, unknown>
}

/** A float32 tensor as plain data. */
export interface SnapshotTensor {
  dims: number[]
  data: Float32Array
}

/** Which model a snapshot belongs to. */
export interface ModelIdentity {
  /** The model folder's name. */
  name: string
  family: PipelineFamily
  /** `_class_name` of model_index.json. */
  pipelineClass: string
  /** SHA-256 (hex) over the graph files' names and sizes, the tokenizer files' sizes and the configs' contents. */
  fingerprint: string
}

/** The generator's MT19937 state and cached normal (torch's `get_state`). */
export interface GeneratorSnapshot {
  /** The seed last set, as a decimal string (it can exceed 2^53). */
  seed: string
  words: Uint32Array
  index: number
  nextDoubleNormal: number | null
}

/** Guidance at the end of the step. */
export interface GuidanceSnapshot {
  /** `_guidanceScale` (0 after guidance was turned off). */
  guidanceScale: number
  guidanceRescale: number
  /** `doClassifierFreeGuidance` for the next step. */
  cfg: boolean
  /** The unconditional rows set aside while guidance is off, and the scale they come back with. */
  keptAside: { guidanceScale: number; tensors: Record<string, SnapshotTensor> } | null
}

/** The file format's name, in every snapshot file's header. */
export const RUN_SNAPSHOT_FORMAT = 'stepwise-run-snapshot'

/** The format version this code writes. */
export const RUN_SNAPSHOT_VERSION = 1

/** The format versions this code reads. */
export const READABLE_RUN_SNAPSHOT_VERSIONS: readonly number[] = [1]

/**
 * A snapshot that cannot be used: a file that is not one, truncated, edited, of an unknown
 * version, or a snapshot of another model, size or scheduler than the run asks for. The message
 * says which, in the user's terms.
 */
export class RunSnapshotError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunSnapshotError'
  }
}
