import type { Tensor } from 'onnxruntime-node'
import type { SchedulerClassName } from '../../../shared/schedulers'
import type { Generator } from '../random/generator'
import type { AddNoiseTimesteps } from './add-noise'
import { ownConfig, resolveConfig } from './config'
import type { SchedulerConfig, SchedulerConfigInput } from './config'
import {
  canonicalJson,
  CONSTANT_SCHEDULER_FIELDS,
  copyStateValue,
  type SchedulerState
} from './scheduler-state'

/**
 * Options of {@link Scheduler.step}. `generator` feeds the schedulers that add noise (Euler
 * ancestral, SDE DPM-Solver, LCM, DDIM with eta > 0, Euler with s_churn); the other fields are the
 * extra keyword arguments of particular diffusers `step()` methods, ignored by the others.
 */
export interface SchedulerStepOptions {
  /** Random source for the step's noise, drawn exactly as diffusers draws it. */
  generator?: Generator
  /** DDIM: weight of the added noise (0 = deterministic DDIM, 1 = DDPM-like). */
  eta?: number
  /** DDIM: re-derive the noise from the clipped x0 prediction. */
  useClippedModelOutput?: boolean
  /** DDIM / DPM-Solver (SDE): use this noise instead of drawing it. */
  varianceNoise?: Tensor
  /** Euler: stochasticity (Karras et al. "churn"); 0 = none. */
  sChurn?: number
  /** Euler: lowest sigma that gets churn. */
  sTmin?: number
  /** Euler: highest sigma that gets churn. */
  sTmax?: number
  /** Euler: scale of the churn noise. */
  sNoise?: number
  /** LMS: the linear multistep order (default 4). */
  order?: number
}

/**
 * What {@link Scheduler.step} returns: diffusers' step output in camelCase. `predOriginalSample`
 * is present wherever diffusers' output carries `pred_original_sample`; `denoised` is LCM's
 * output of that name and, as a Stepwise extension, DPM-Solver's x0 prediction.
 */
export interface SchedulerStepOutput {
  /** x_{t-1}: the next sample of the loop. */
  prevSample: Tensor
  /** The model's estimate of the clean sample x0 (DDIM, Euler, Euler ancestral, LMS). */
  predOriginalSample?: Tensor
  /**
   * LCM's denoised sample; as a Stepwise extension, the step's data (x0) prediction of the
   * schedulers whose diffusers output has none (DPM-Solver, UniPC, DEIS, TCD).
   */
  denoised?: Tensor
  /** TCD's `pred_noised_sample`. */
  predNoisedSample?: Tensor
}

/**
 * The common shape of diffusers' schedulers that pipelines program against. Subclasses follow one
 * diffusers class each, with its config keys (snake_case), timesteps and numerics.
 */
export abstract class Scheduler<C extends SchedulerConfig = SchedulerConfig> {
  /** The diffusers class name. */
  abstract readonly className: SchedulerClassName
  /** The merged config, like diffusers' `scheduler.config`. */
  readonly config: C
  /** How many model evaluations one step of the sampler uses (diffusers' `order`). */
  order = 1
  /** The standard deviation to scale the initial noise by (`init_noise_sigma`). */
  initNoiseSigma = 1
  /**
   * The timesteps to run, in order, as plain numbers holding diffusers' values exactly: integers
   * where diffusers' tensor is int64, float32 values where it is float32.
   */
  timesteps: number[] = []
  /** The number of inference steps set by {@link setTimesteps}, or null before. */
  numInferenceSteps: number | null = null
  /** The training betas (float32). */
  readonly betas: Float32Array
  /** Cumulative products of 1 − beta (float32). */
  readonly alphasCumprod: Float32Array

  /**
   * diffusers' `hasattr(scheduler, "set_begin_index")`: false for DDIM and PNDM, whose steps never
   * read a step index, so image pipelines leave their begin index unset, as diffusers does.
   */
  readonly hasBeginIndex: boolean = true

  protected _stepIndex: number | null = null
  protected _beginIndex: number | null = null

  /**
   * Creates a scheduler from a scheduler_config.json object (typically another scheduler's
   * `config`) plus overrides (diffusers' `from_config`). The overrides are typed per class
   * (`SchedulerOverrides<'DPMSolverMultistepScheduler'>`): snake_case or camelCase keys of that
   * class with the values it accepts.
   */
  static fromConfig<T, O>(
    this: new (config?: SchedulerConfigInput, overrides?: O) => T,
    config: SchedulerConfigInput,
    overrides?: O
  ): T {
    return new this(config, overrides)
  }

  protected constructor(
    className: SchedulerClassName,
    input: SchedulerConfigInput,
    overrides: SchedulerConfigInput | undefined,
    /** Builds the training schedule from the class's own config keys only. */
    schedule: (config: C) => { betas: Float32Array; alphasCumprod: Float32Array }
  ) {
    this.config = resolveConfig(className, input, overrides) as C
    // Only the class's own keys: another class's key in the config (e.g. rescale_betas_zero_snr
    // in a DDIM config given to PNDM) must not change the schedule, as in diffusers.
    const { betas, alphasCumprod } = schedule(ownConfig(className, this.config))
    this.betas = betas
    this.alphasCumprod = alphasCumprod
  }

  /** The step counter: the index into {@link timesteps} of the next step, or null before the first. */
  get stepIndex(): number | null {
    return this._stepIndex
  }

  /** The index of the first step when a pipeline starts mid-schedule (img2img), or null. */
  get beginIndex(): number | null {
    return this._beginIndex
  }

  /** Sets the index of the first timestep; pipelines call it before the loop (diffusers' `set_begin_index`). */
  setBeginIndex(beginIndex = 0): void {
    if (!Number.isInteger(beginIndex) || beginIndex < 0) {
      throw new Error(
        `${this.className}.setBeginIndex: beginIndex must be a non-negative integer (got ${String(beginIndex)})`
      )
    }
    this._beginIndex = beginIndex
  }

  /** Computes the timesteps (and sigmas) for `numInferenceSteps` steps; call before the loop. */
  abstract setTimesteps(numInferenceSteps: number): void

  /** Scales the denoising model's input for timestep `t` (identity for most schedulers). */
  abstract scaleModelInput(sample: Tensor, t: number): Tensor

  /** One sampler step: from the model output at timestep `t` and the current sample to the next sample. */
  abstract step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    options?: SchedulerStepOptions
  ): SchedulerStepOutput

  /**
   * {@link step} on the classifier-free-guided prediction of a UNet output of 2B rows
   * `[uncond ; cond]` (`uncond + g · (cond − uncond)`, float32), in one pass where the scheduler
   * has a kernel for both: the same result, bit for bit, as guiding then stepping. Null where it
   * has none for this config and these options, before taking any step (the step index may be
   * found for `t`, as `scaleModelInput` finds it): the caller then guides and calls `step`. The
   * base class has none.
   */
  stepGuided(
    _modelOutput: Tensor,
    _guidanceScale: number,
    _t: number,
    _sample: Tensor,
    _options?: SchedulerStepOptions
  ): SchedulerStepOutput | null {
    return null
  }

  /**
   * diffusers' `add_noise`: `originalSamples` noised to the level of `timesteps` (one timestep for
   * every batch row, or one per row). img2img starts from it; inpainting with a 4-channel UNet
   * re-noises the known region with it after every step. The sigma-based schedulers choose the
   * level by position (begin index before the first step, step index after it), as diffusers does.
   */
  abstract addNoise(originalSamples: Tensor, noise: Tensor, timesteps: AddNoiseTimesteps): Tensor

  /**
   * Its complete mutable state (timesteps, sigmas, the step counter and every multistep history),
   * deep-copied: {@link restoreState} on a scheduler of the same class and config puts it back
   * exactly, so a run continued from it steps bit for bit as the uninterrupted run would.
   */
  captureState(): SchedulerState {
    const fields: SchedulerState['fields'] = {}
    for (const [name, value] of Object.entries(this)) {
      if (CONSTANT_SCHEDULER_FIELDS.has(name)) continue
      fields[name] = copyStateValue(value, `${this.className}.${name}`)
    }
    // The config is frozen (resolveConfig) and never changes: shared, not copied. A copy of its
    // few dozen keys was the costliest part of a snapshot, taken at every step.
    return { className: this.className, config: this.config, fields }
  }

  /**
   * Puts back a state taken with {@link captureState} (copied, so one state can be restored
   * again and again). Throws, changing nothing, for another class, another config or a state
   * whose fields are not this scheduler's.
   */
  restoreState(state: SchedulerState): void {
    if (state.className !== this.className) {
      throw new Error(`the saved scheduler state is of ${state.className}, not ${this.className}`)
    }
    if (canonicalJson(state.config) !== canonicalJson(this.config)) {
      throw new Error(
        `the saved ${this.className} state was taken with another config (e.g. other sigmas or solver settings)`
      )
    }
    const own = Object.keys(this).filter((k) => !CONSTANT_SCHEDULER_FIELDS.has(k))
    const saved = Object.keys(state.fields)
    const missing = own.filter((k) => !saved.includes(k))
    const unknown = saved.filter((k) => !own.includes(k))
    if (missing.length > 0 || unknown.length > 0) {
      throw new Error(
        `the saved ${this.className} state does not match this version's scheduler (${[
          missing.length > 0 ? `missing ${missing.join(', ')}` : '',
          unknown.length > 0 ? `unknown ${unknown.join(', ')}` : ''
        ]
          .filter((x) => x !== '')
          .join('; ')})`
      )
    }
    const copies = own.map((k) => [k, copyStateValue(state.fields[k], k)] as const)
    const target = this as unknown as Record<string, unknown>
    for (const [k, v] of copies) target[k] = v
  }

  /** Throws unless `n` is a step count this scheduler can run. */
  protected checkNumInferenceSteps(n: number): void {
    const max = this.config.num_train_timesteps
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
      throw new Error(
        `${this.className}.setTimesteps: numInferenceSteps must be an integer from 1 to ${max} (num_train_timesteps) (got ${String(n)})`
      )
    }
  }

  /** Throws unless {@link setTimesteps} has run. */
  protected checkTimestepsSet(): number {
    if (this.numInferenceSteps === null) {
      throw new Error(
        `${this.className}: numInferenceSteps is not set; call setTimesteps(n) before step()`
      )
    }
    return this.numInferenceSteps
  }

  /**
   * diffusers' `index_for_timestep`: where `t` sits in {@link timesteps}; the second match when it
   * appears twice, so a schedule entered mid-way (img2img) does not skip a sigma.
   */
  indexForTimestep(t: number): number {
    const key = Math.fround(t)
    const matches: number[] = []
    this.timesteps.forEach((v, i) => {
      if (v === t || v === key) matches.push(i)
    })
    const index = matches.length > 1 ? matches[1] : matches[0]
    if (index === undefined) {
      throw new Error(
        `${this.className}: timestep ${t} is not one of this scheduler's timesteps; pass values from scheduler.timesteps`
      )
    }
    return index
  }

  /** Starts the step counter from `t` (or from the begin index) on the first call, as diffusers does. */
  protected initStepIndex(t: number): number {
    if (this._stepIndex === null) {
      this._stepIndex = this._beginIndex ?? this.indexForTimestep(t)
    }
    if (this._stepIndex >= this.timesteps.length) {
      throw new Error(
        `${this.className}: all ${this.timesteps.length} steps have run; call setTimesteps(n) to sample again`
      )
    }
    return this._stepIndex
  }
}
