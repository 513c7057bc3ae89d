import { guidanceWindow, lastGuidedStep } from '../../shared/guidance-window'
import { paramLabel } from '../../shared/labels'
import type { AlgorithmType, CfgCutoff, CfgInterval, SchedulerClassName } from '../../shared/params'
import { sizeMultipleError } from '../../shared/size-multiple'
import { SCHEDULER_CLASS_NAMES } from '../../shared/params'
import {
  algorithmTypeOf,
  createScheduler,
  checkRunMemory,
  expectedRunGraphs,
  getTimesteps,
  readMemoryProfile,
  vaeTilingFor,
  openModelFolder,
  schedulerForRequest,
  schedulerFromConfig
} from '../engine'
import type { MemoryMode, MemorySaving, Scheduler } from '../engine'

/**
 * The one plan of a run: which scheduler runs, how many timesteps its loop iterates (T), which
 * step indices exist, where guidance ends, and whether the run fits in memory. Main plans a job
 * before queueing it (and answers `planRun` with it); the inference host plans the same run
 * again on the loaded pipeline, so both decide the same way. It imports only the engine and
 * shared code: it runs in the inference process too, where electron does not exist.
 */

/** A run's settings that the plan reads, the model's defaults filled in. */
export interface ScheduleSettings {
  /** Omitted: the model's own scheduler class. */
  scheduler?: SchedulerClassName
  useKarrasSigmas: boolean
  /** DPM-Solver's `algorithm_type` (e.g. the SDE variants); omitted: the model's own. */
  algorithmType?: AlgorithmType
  /** Steps asked for (N). */
  numInferenceSteps: number
  cfgCutoff: CfgCutoff | null
  /** Guidance only inside this window (null: from step 0). */
  cfgInterval: CfgInterval | null
  stopAtStep: number | null
  /**
   * Image-to-image / inpainting: the strength; the run enters the schedule where diffusers'
   * `get_timesteps` does, and only the timesteps from there on are the run's steps.
   */
  strength?: number | null
}

/** What {@link planSchedule} decides. */
export interface SchedulePlan {
  /** The scheduler to run: `base` itself when the run changes nothing, else a new one. */
  scheduler: Scheduler
  schedulerName: SchedulerClassName
  /** Whether the scheduler runs with Karras sigmas (asked for, or set in the model's config). */
  useKarrasSigmas: boolean
  /** The `algorithm_type` it runs with, for the classes that have one (DPM-Solver). */
  algorithmType: AlgorithmType | undefined
  /**
   * Timesteps the loop iterates (T): N for most schedulers, N + 1 for PNDM with skip_prk_steps;
   * for an image run only those from its start on.
   */
  numTimesteps: number
  /** Where step 0 sits in the scheduler's full timestep list (0 for text-to-image). */
  startStep: number
  /** The length of the scheduler's full timestep list (T of a text-to-image run). */
  scheduleTimesteps: number
  /** The index of the last guided step, or null (guidance to the end). */
  cutoffStep: number | null
  /** The index of the first guided step (0 without an interval). */
  guidanceStartStep: number
  /** What the run does differently from what was asked, in the user's terms. */
  warnings: string[]
}

/** One reason a run cannot be planned: the parameter (a field path, or null) and what is wrong. */
export interface PlanProblem {
  param: string | null
  message: string
}

/**
 * A run that cannot be planned. The message names each setting by its label ("Steps", "Stop at
 * step"); `problems` keeps the field paths, so a front end can name its own control instead
 * (the CLI its flags).
 */
export class RunPlanError extends Error {
  readonly problems: readonly PlanProblem[]

  constructor(problems: readonly PlanProblem[] | string) {
    const list = typeof problems === 'string' ? [{ param: null, message: problems }] : problems
    super(
      list
        .map((p) => (p.param === null ? p.message : `${paramLabel(p.param)}: ${p.message}`))
        .join('; ')
    )
    this.name = 'RunPlanError'
    this.problems = list
  }

  /** The message with each parameter named by `label` (e.g. a command-line flag). */
  describe(label: (param: string) => string): string {
    return this.problems
      .map((p) => (p.param === null ? p.message : `${label(p.param)}: ${p.message}`))
      .join('; ')
  }
}

function isSchedulerName(name: string): name is SchedulerClassName {
  return (SCHEDULER_CLASS_NAMES as readonly string[]).includes(name)
}

/**
 * Plans the scheduler of a run on a model whose own scheduler is `base`: the requested class on
 * the model's scheduler config (the model's own scheduler when none is requested), with Karras
 * sigmas and an algorithm type where the class has them, and T from its timesteps (2·N − 1 for the
 * second-order Heun / KDPM2 schedulers, N + 1 for PNDM with skip_prk_steps). Throws {@link RunPlanError} for a
 * step count the scheduler refuses.
 */
export function planSchedule(base: Scheduler, settings: ScheduleSettings): SchedulePlan {
  const name = settings.scheduler ?? base.className
  if (!isSchedulerName(name)) {
    throw new RunPlanError([{ param: 'scheduler', message: `unexpected scheduler ${name}` }])
  }
  const warnings: string[] = []
  let scheduler: Scheduler
  try {
    scheduler = schedulerForRequest(base, settings, (message) => warnings.push(message))
  } catch (error) {
    throw new RunPlanError([{ param: 'scheduler', message: (error as Error).message }])
  }
  // A copy: the pipeline sets its own scheduler's timesteps when the call starts.
  const probe = createScheduler(name, scheduler.config)
  try {
    probe.setTimesteps(settings.numInferenceSteps)
  } catch (error) {
    throw new RunPlanError([{ param: 'numInferenceSteps', message: (error as Error).message }])
  }
  const scheduleTimesteps = probe.timesteps.length
  let numTimesteps = scheduleTimesteps
  let startStep = 0
  const strength = settings.strength
  if (strength !== undefined && strength !== null) {
    const start = getTimesteps(probe, settings.numInferenceSteps, strength)
    numTimesteps = start.timesteps.length
    startStep = start.startIndex
    if (numTimesteps === 0) {
      throw new RunPlanError(
        `strength: ${strength} with ${settings.numInferenceSteps} steps runs no denoising step (int(${settings.numInferenceSteps} · ${strength}) = 0); raise the strength or the number of steps`
      )
    }
  }
  const window = guidanceWindow(numTimesteps, settings.cfgCutoff, settings.cfgInterval)
  return {
    scheduler,
    schedulerName: name,
    useKarrasSigmas: scheduler.config.use_karras_sigmas === true,
    algorithmType: algorithmTypeOf(scheduler),
    numTimesteps,
    startStep,
    scheduleTimesteps,
    cutoffStep: lastGuidedStep(numTimesteps, settings.cfgCutoff, settings.cfgInterval),
    guidanceStartStep: window.start,
    warnings
  }
}

/**
 * Throws {@link RunPlanError} for step indices (CFG cutoff, stop) that a loop of `numTimesteps`
 * would never reach, one sentence each, with the bound: indices go from 0 to T − 1.
 */
export function checkStepIndices(
  settings: Pick<
    ScheduleSettings,
    'cfgCutoff' | 'cfgInterval' | 'stopAtStep' | 'numInferenceSteps'
  > & { resumeFrom?: { step: number } | null },
  numTimesteps: number,
  schedulerName: string
): void {
  const bound =
    numTimesteps === settings.numInferenceSteps
      ? `below the number of steps (${settings.numInferenceSteps})`
      : `below the number of timesteps (${schedulerName} runs ${numTimesteps} for ${settings.numInferenceSteps} steps)`
  const problems: PlanProblem[] = []
  const cutoff = settings.cfgCutoff
  if (cutoff !== null && 'stepIndex' in cutoff && cutoff.stepIndex >= numTimesteps) {
    problems.push({
      param: 'cfgCutoff.stepIndex',
      message: `must be ${bound}, got ${cutoff.stepIndex}`
    })
  }
  const interval = settings.cfgInterval
  if (interval !== null && 'startStepIndex' in interval) {
    // The end may be T itself: the window [s, T) guides to the last step.
    if (interval.startStepIndex >= numTimesteps) {
      problems.push({
        param: 'cfgInterval.startStepIndex',
        message: `must be ${bound}, got ${interval.startStepIndex}`
      })
    }
    if (interval.endStepIndex > numTimesteps) {
      problems.push({
        param: 'cfgInterval.endStepIndex',
        message: `must be at most the number of ${numTimesteps === settings.numInferenceSteps ? 'steps' : 'timesteps'} (${numTimesteps}), got ${interval.endStepIndex}`
      })
    }
  }
  if (settings.stopAtStep !== null && settings.stopAtStep >= numTimesteps) {
    problems.push({ param: 'stopAtStep', message: `must be ${bound}, got ${settings.stopAtStep}` })
  }
  const resumed = settings.resumeFrom ?? null
  if (resumed !== null && resumed.step >= numTimesteps - 1) {
    problems.push({
      param: 'resumeFrom.step',
      message: `a run continues from a step before its last (0 to ${numTimesteps - 2}), got ${resumed.step}`
    })
  }
  if (problems.length > 0) throw new RunPlanError(problems)
}

/** A run's settings that {@link planRun} reads. */
export interface RunSettings extends ScheduleSettings {
  width: number
  height: number
  guidanceScale: number
  numImagesPerPrompt: number
}

/**
 * What {@link planRun} decides: the schedule, how the run uses memory and what it is estimated
 * to need.
 */
export interface RunPlan extends SchedulePlan {
  estimatedBytes: number
  /** The memory mode the run must use: `normal`, `vae-tiles` or `low-memory` (memory-check.ts). */
  memoryMode: MemoryMode
  /** Said with the result when a lower mode was chosen to fit the limit; null otherwise. */
  memoryNote: string | null
}

/** Options of {@link planRun}. */
export interface PlanOptions {
  /** Memory limit for the estimate (tests); default: the engine's (75% of physical memory). */
  memoryLimitBytes?: number
  /**
   * The low-memory mode (the VAE in tiles, the UNet one row per call): `auto` (default) when the
   * normal mode and the tiled decode would not fit, `on` always, `off` never (refused instead).
   */
  lowMemory?: MemorySaving
}

/** The environment variable that lowers the run plan's memory limit (tests, power users). */
export const MEMORY_LIMIT_ENV = 'STEPWISE_MEMORY_LIMIT_BYTES'

/**
 * The memory limit {@link MEMORY_LIMIT_ENV} sets, in bytes, or undefined when unset (the engine's
 * default then). Throws a message naming the variable for anything but a positive whole number.
 */
export function memoryLimitFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[MEMORY_LIMIT_ENV]
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(
      `${MEMORY_LIMIT_ENV} must be a positive whole number of bytes, got ${JSON.stringify(text)}`
    )
  }
  return value
}

/**
 * Plans a run on the model folder as it is now, before anything is loaded: the size (a multiple
 * of the model's size multiple), the schedule (on the scheduler the folder configures, as the
 * pipeline will load it), the memory check, then the step indices. Throws {@link RunPlanError} (or the engine's `ModelLoadError` for a folder that cannot
 * be read) naming what is wrong, before the run changes anything.
 */
export async function planRun(
  modelDir: string,
  settings: RunSettings,
  options: PlanOptions = {}
): Promise<RunPlan> {
  const folder = await openModelFolder(modelDir)
  if (settings.strength != null && !folder.hasVaeEncoder) {
    throw new RunPlanError(
      `initImage: this model has no VAE encoder (vae_encoder/model.onnx in ${folder.dir}), so it cannot start from a picture; choose a model that has one, or remove the input picture`
    )
  }
  // Before the UNet's Concat refuses it: a size its down-samplings cannot halve evenly.
  const size = sizeMultipleError(settings, folder.sizeMultiple)
  if (size !== null) throw new RunPlanError(size)
  const configured = folder.stepwise?.defaults.scheduler ?? folder.schedulerConfig['_class_name']
  const base = schedulerFromConfig(
    typeof configured === 'string' ? configured : null,
    folder.schedulerConfig
  ).scheduler
  const schedule = planSchedule(base, settings)
  const images = settings.numImagesPerPrompt
  const shape = {
    width: settings.width,
    height: settings.height,
    unetRows: images * (settings.guidanceScale > 1 ? 2 : 1),
    images
  }
  // The pipeline's own check: the normal mode, else the tiled decode, else the low-memory mode
  // (off: the normal mode or a refusal). The inference process runs the mode chosen here.
  const lowMemory = options.lowMemory ?? 'auto'
  const profile = await readMemoryProfile(folder)
  const memory = checkRunMemory(folder, shape, profile, expectedRunGraphs(profile), {
    ...(options.memoryLimitBytes === undefined ? {} : { limit: options.memoryLimitBytes }),
    vaeTiling: lowMemory === 'off' ? 'off' : 'auto',
    lowMemory,
    tileSize: vaeTilingFor(folder.vaeConfig).tileSampleMinSize
  })
  if (memory.refusal !== null) throw new RunPlanError(memory.refusal)
  checkStepIndices(settings, schedule.numTimesteps, schedule.schedulerName)
  return {
    ...schedule,
    estimatedBytes: memory.estimate.bytes,
    memoryMode: memory.mode,
    memoryNote: memory.note
  }
}
