import { randomInt } from 'node:crypto'
import type { GenerateParams, ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import { paramLabel } from '../../shared/labels'
import { LIMITS } from '../../shared/params'
import { ModelLoadError } from '../engine'
import type { HistoryStore } from '../history/history-store'
import type { ModelRegistry } from '../model-library/model-registry'
import type { InferenceRunner } from './inference-runner'
import type { Job, JobImages, JobResume, ResolvedParams } from './job'
import { resolveResume } from './resume-source'
import { planRun, RunPlanError } from './run-plan'
import type { RunPlan } from './run-plan'

/** Seeds drawn for random-seed jobs: what fits torch's and A1111's 32-bit seed fields. */
const SEED_RANGE = 2 ** 32

/** What planning a job reads: the models, history, the jobs the queue knows, the limit. */
export interface PlanningSources {
  models: ModelRegistry
  history: HistoryStore
  inference: InferenceRunner
  memoryLimitBytes?: number
  /** A job the queue still knows (running, waiting or recently ended), for resumes. */
  job(jobId: string): Job | undefined
}

/** A request as the queue runs it: resolved parameters, model, plan and what it resumes. */
export interface PlannedJob {
  params: ResolvedParams
  model: ModelSummary
  plan: RunPlan
  resume: JobResume | null
}

/**
 * The model's defaults filled in, the seed drawn, and the run planned on the model folder.
 * Throws invalid-argument (naming the model) for a run that cannot be planned.
 */
export async function resolveAndPlan(
  input: GenerateParams,
  sources: PlanningSources
): Promise<PlannedJob> {
  const model = await sources.models.resolve(input.modelId)
  checkPreviewMethod(model, input.previewMethod)
  let params: ResolvedParams = {
    ...input,
    modelId: model.id,
    seed: input.seed ?? randomInt(SEED_RANGE),
    numInferenceSteps: input.numInferenceSteps ?? model.defaults.numInferenceSteps,
    guidanceScale: input.guidanceScale ?? model.defaults.guidanceScale,
    width: input.width ?? model.defaults.width,
    height: input.height ?? model.defaults.height,
    scheduler: input.scheduler ?? model.defaults.scheduler,
    ...(input.initImage == null ? {} : { strength: input.strength ?? LIMITS.strength.default })
  }
  const resumed = await resolveResume(params, input, model, {
    history: sources.history,
    job: (jobId) => sources.job(jobId),
    snapshotOf: (jobId, step) => sources.inference.snapshot(jobId, step)
  })
  if (resumed !== null) params = resumed.params
  const limit = { memoryLimitBytes: sources.memoryLimitBytes }
  const plan = await refuseUnplannable(model, () => planRun(model.path, params, limit))
  return { params, model, plan, resume: resumed?.resume ?? null }
}

/**
 * The stored input picture and mask of an image run, read before the job is queued (null for a
 * text run).
 */
export async function inputPixels(
  history: HistoryStore,
  params: ResolvedParams
): Promise<JobImages | null> {
  if (params.initImage == null) return null
  const inputs = history.inputs
  const image = await inputs.pixels(params.initImage)
  const mask = params.maskImage == null ? null : await inputs.pixels(params.maskImage)
  return { image, mask }
}

/**
 * Refuses a preview method the model cannot make before anything is queued: `tiny` needs a
 * tiny decoder (the folder's own, or a downloaded TAESD of its family).
 */
function checkPreviewMethod(model: ModelSummary, method: string | undefined): void {
  if (method !== 'tiny' || model.previews.methods.includes('tiny')) return
  const offer = model.previews.offer
  const how =
    offer === null
      ? 'put a TAESD-class decoder at preview_decoder/model.onnx in its folder'
      : `download ${offer.name} (${offer.repo}) in the Models panel, or put a decoder at preview_decoder/model.onnx in its folder`
  throw new StepwiseError(
    'invalid-argument',
    `${paramLabel('previewMethod')}: ${model.id} has no tiny preview decoder, so it cannot preview with "tiny" (it offers ${model.previews.methods.join(', ')}); ${how}`
  )
}

/**
 * Runs a planning step; a run that cannot be planned (or a model folder that cannot be read) is
 * refused as invalid-argument, naming the model.
 */
export function refuseUnplannable<T>(model: ModelSummary, plan: () => T): T {
  const refuse = (error: unknown): never => {
    if (error instanceof RunPlanError || error instanceof ModelLoadError) {
      throw new StepwiseError('invalid-argument', `${model.id}: ${error.message}`)
    }
    throw error
  }
  try {
    const result = plan()
    return (result instanceof Promise ? result.catch(refuse) : result) as T
  } catch (error) {
    return refuse(error)
  }
}
