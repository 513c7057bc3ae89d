import type { GenerateParams, ModelSummary } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { ResumeFrom } from '../../shared/params'
import {
  checkSnapshotModel,
  modelIdentity,
  openModelFolder,
  RunSnapshotError,
  type RunSnapshot
} from '../engine'
import type { HistoryStore } from '../history/history-store'
import type { Job, JobResume, ResolvedParams } from './job'

/**
 * Continue and Branch: finding the run state a new job starts from (a history entry's kept
 * state, or a job's step that the inference process still holds) and refusing, in the user's
 * terms, what a continued run cannot change.
 */

/** What the queue lends to resolve a source. */
export interface ResumeContext {
  history: HistoryStore
  /** A job the queue still remembers (running, waiting or recently ended). */
  job(jobId: string): Job | undefined
  /** Asks the inference process for a step's snapshot of a job it ran or runs. */
  snapshotOf(jobId: string, step: number): Promise<RunSnapshot>
}

/** The parameters a continued run keeps from its parent, with their names in the form. */
const KEPT: readonly [keyof GenerateParams, string][] = [
  ['modelId', 'model'],
  ['width', 'width'],
  ['height', 'height'],
  ['numInferenceSteps', 'number of steps'],
  ['scheduler', 'scheduler'],
  ['useKarrasSigmas', 'Karras sigmas setting'],
  ['algorithmType', 'algorithm type'],
  ['numImagesPerPrompt', 'number of images'],
  ['seed', 'seed']
]

/** An image run's picture, noise and mask are not part of the run state a snapshot keeps. */
const IMAGE_RUN =
  'image-to-image and inpainting runs cannot be continued or branched; start a new run from the picture instead (Use as input)'

function invalid(message: string): never {
  throw new StepwiseError('invalid-argument', `resumeFrom: ${message}`)
}

/** The parent's parameters and its state at `from.step`. */
async function parentOf(
  from: ResumeFrom,
  context: ResumeContext
): Promise<{
  params: GenerateParams
  snapshot: RunSnapshot
  jobId: string | null
  historyId: string | null
}> {
  if (from.historyId !== undefined) {
    const id = from.historyId
    const entry = context.history.list().entries.find((e) => e.id === id)
    if (entry === undefined) invalid(`no history entry ${JSON.stringify(id)} to continue from`)
    if (entry.params.initImage != null) invalid(IMAGE_RUN)
    const kept = entry.snapshotSteps ?? []
    if (!kept.includes(from.step)) {
      const ran = entry.result.stepsRun
      invalid(
        from.step >= ran
          ? `run ${entry.id} stopped after step ${ran}; step ${from.step + 1} did not run`
          : `history entry ${entry.id} kept no run state at step ${from.step + 1} (${kept.length === 0 ? 'it kept none: only stopped runs and runs that keep their steps do' : `kept: steps ${kept.map((s) => s + 1).join(', ')}`})`
      )
    }
    const snapshot = await context.history.snapshot(entry.id, from.step)
    return { params: entry.params, snapshot, jobId: null, historyId: entry.id }
  }
  const jobId = from.jobId as string
  const job = context.job(jobId)
  if (job === undefined) invalid(`no job ${JSON.stringify(jobId)} to continue from`)
  if (job.params.initImage != null) invalid(IMAGE_RUN)
  // Steps done: a continued job's first step comes after its snapshot's.
  const done = (job.resume?.snapshot.step ?? -1) + 1 + job.steps.length
  if (from.step >= job.plan.numTimesteps) {
    invalid(`step ${from.step + 1} is beyond job ${jobId}'s ${job.plan.numTimesteps} steps`)
  }
  if (job.ended && from.step >= done) {
    invalid(`job ${jobId} ended after step ${done}; step ${from.step + 1} did not run`)
  }
  let snapshot: RunSnapshot
  try {
    snapshot = await context.snapshotOf(jobId, from.step)
  } catch (error) {
    throw new StepwiseError('conflict', `resumeFrom: ${(error as Error).message}`)
  }
  return { params: job.params, snapshot, jobId, historyId: job.historyId }
}

/**
 * Resolves `params.resumeFrom`: the parent's state, checked against what the new run asks
 * (model, size, steps, scheduler, seed and number of images stay the parent's; prompts and
 * guidance may change). A seed left random takes the parent's. Throws invalid-argument (or
 * conflict when the state is gone from memory) naming what is wrong.
 */
export async function resolveResume(
  params: ResolvedParams,
  input: GenerateParams,
  model: ModelSummary,
  context: ResumeContext
): Promise<{ params: ResolvedParams; resume: JobResume } | null> {
  const from = params.resumeFrom
  if (from === null) return null
  if (params.initImage != null) {
    invalid(
      "a continued run starts from its parent's latents, not from a picture; remove the input picture, or start a new image run instead"
    )
  }
  const parent = await parentOf(from, context)
  const resolved: ResolvedParams = {
    ...params,
    seed: input.seed ?? (parent.params.seed as number)
  }
  for (const [key, label] of KEPT) {
    const asked = resolved[key] ?? null
    const had = parent.params[key] ?? null
    if (JSON.stringify(asked) !== JSON.stringify(had)) {
      invalid(
        `a continued run keeps its parent's ${label} (${JSON.stringify(had)}); this run asks for ${JSON.stringify(asked)}. Size, steps, scheduler, seed and model stay; a branch may change the prompts and guidance`
      )
    }
  }
  try {
    checkSnapshotModel(parent.snapshot, await modelIdentity(await openModelFolder(model.path)))
  } catch (error) {
    if (error instanceof RunSnapshotError) invalid(error.message)
    throw error
  }
  return {
    params: resolved,
    resume: {
      snapshot: parent.snapshot,
      parentJobId: parent.jobId,
      parentHistoryId: parent.historyId,
      parentSeed: parent.params.seed as number,
      parentPrompt: parent.params.prompt
    }
  }
}
