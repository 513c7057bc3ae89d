import type {
  CfgCutoffState,
  GenerateParams,
  JobState,
  JobSummary,
  ModelLoadProgress,
  ModelSummary,
  RgbaImage
} from '../../shared/contract'
import { isTerminalJobState } from '../../shared/contract'
import type { RunSnapshot } from '../engine'
import type { GenerationRequest, RgbaFrame } from '../inference/protocol'
import type { StepReport } from '../../shared/steps'
import type { RunPlan } from './run-plan'
import type { UnetStepCost } from './unet-savings'

/**
 * Step records kept for a page that connects mid-run. A loop has at most a few thousand steps
 * (500 steps, doubled by second-order schedulers); past this the oldest records are dropped, so a
 * runaway run cannot grow main's memory without bound.
 */
export const MAX_REPLAYED_STEPS = 4096

/** Parameters with everything the model decides filled in: what actually runs. */
export type ResolvedParams = GenerateParams &
  Required<
    Pick<
      GenerateParams,
      'modelId' | 'numInferenceSteps' | 'guidanceScale' | 'width' | 'height' | 'scheduler'
    >
  > & { seed: number }

/** The pixels of an image run's stored input picture and mask, read when the job was queued. */
export interface JobImages {
  image: { width: number; height: number; data: Uint8Array }
  mask: { width: number; height: number; data: Uint8Array } | null
}

function frameOf(p: JobImages['image']): RgbaFrame {
  return { width: p.width, height: p.height, rgba: p.data.slice().buffer }
}

/** One generation as the queue tracks it, from `generate` to its single end. */
export class Job {
  state: JobState = 'queued'
  /** 0 running, k waiting behind k jobs, null once ended. */
  position: number | null
  stopping = false
  /** The inference process's last word on the live cutoff. */
  cutoff: CfgCutoffState
  readonly steps: UnetStepCost[] = []
  /** Kept step previews (only with `keepPreviews`). */
  readonly previews = new Map<number, RgbaImage>()
  /** The steps reported so far, for a page that connects mid-run (bounded). */
  readonly reports: StepReport[] = []
  /** The newest preview only: previews are latest-wins, for late pages too. */
  latestPreview: { index: number; image: RgbaImage } | null = null
  readonly warnings: string[] = []
  /** Why the job failed or was cancelled. */
  message: string | undefined
  /** While loading: the model component being loaded (or the last one loaded). */
  load: ModelLoadProgress | undefined
  /** The history entry its result was stored as, once stored. */
  historyId: string | null = null

  constructor(
    readonly id: string,
    /** Validated, with the concrete seed, the resolved model id and the model's defaults. */
    readonly params: ResolvedParams,
    readonly model: ModelSummary,
    position: number,
    /** The run as planned before queueing (./run-plan.ts). */
    readonly plan: RunPlan,
    /** For a continued or branched run: the state it starts from and where it came from. */
    readonly resume: JobResume | null = null,
    /** Image-to-image / inpainting inputs; null for text-to-image. */
    readonly images: JobImages | null = null
  ) {
    this.position = position
    this.cutoff = {
      cutoff: params.cfgCutoff,
      cutoffStep: plan.cutoffStep,
      locked: false,
      cfgInterval: params.cfgInterval,
      guidanceStartStep: plan.guidanceStartStep,
      startLocked: false,
      guidanceScale: null
    }
  }

  /** Has the job reached done, stopped, failed or cancelled? */
  get ended(): boolean {
    return isTerminalJobState(this.state)
  }

  /** How the queue shows the job. */
  summary(): JobSummary {
    return {
      jobId: this.id,
      state: this.state,
      params: { ...this.params },
      seed: this.params.seed,
      position: this.position,
      stopping: this.stopping,
      numTimesteps: this.plan.numTimesteps,
      cfgCutoffStep: this.cutoff.cutoffStep,
      guidanceStartStep: this.cutoff.guidanceStartStep ?? this.plan.guidanceStartStep,
      ...(this.images === null ? {} : { startStep: this.plan.startStep }),
      ...(this.plan.memoryNote === null ? {} : { memoryNote: this.plan.memoryNote })
    }
  }

  /** Records a finished step for replay; keeps at most {@link MAX_REPLAYED_STEPS}. */
  recordStep(report: StepReport, preview: RgbaImage | null): void {
    this.reports.push(report)
    if (this.reports.length > MAX_REPLAYED_STEPS) this.reports.shift()
    if (preview !== null) this.latestPreview = { index: report.index, image: preview }
  }

  /** The inference request: everything resolved, nothing left for the inference process to guess. */
  request(): GenerationRequest {
    const p = this.params
    return {
      modelDir: this.model.path,
      provider: p.provider,
      prompt: p.prompt,
      negativePrompt: p.negativePrompt,
      numInferenceSteps: p.numInferenceSteps,
      guidanceScale: p.guidanceScale,
      guidanceRescale: p.guidanceRescale,
      width: p.width,
      height: p.height,
      seed: p.seed,
      scheduler: p.scheduler,
      useKarrasSigmas: p.useKarrasSigmas,
      algorithmType: p.algorithmType,
      cfgCutoff: p.cfgCutoff,
      cfgInterval: p.cfgInterval,
      stopAtStep: p.stopAtStep,
      previewEvery: p.previewEvery,
      ...(p.previewMethod === undefined ? {} : { previewMethod: p.previewMethod }),
      ...(this.model.previews.decoder?.source === 'downloaded'
        ? { previewDecoder: this.model.previews.decoder.path }
        : {}),
      numImagesPerPrompt: p.numImagesPerPrompt,
      // Runs that keep their step previews keep their steps' state too, to branch from later.
      keepSnapshots: p.keepPreviews ? 'steps' : 'stopped',
      memoryMode: this.plan.memoryMode,
      ...(this.resume === null ? {} : { resumeFrom: this.resume.snapshot }),
      ...(this.images === null
        ? {}
        : {
            initImage: frameOf(this.images.image),
            mask: this.images.mask === null ? null : frameOf(this.images.mask),
            strength: p.strength ?? null
          })
    }
  }
}

/** Where a continued or branched job starts from. */
export interface JobResume {
  snapshot: RunSnapshot
  /** The parent run: its job (while the queue remembers it) and its history entry, if stored. */
  parentJobId: string | null
  parentHistoryId: string | null
  parentSeed: number
  parentPrompt: string
}
