import { ComponentSessions } from '../models/component-sessions'
import type { ModelFolder } from '../models/model-folder'
import { ModelLoadError } from '../models/model-load-error'
import { latentRgbFactorsForFamily } from '../previews/latent-rgb-factors'
import { PreviewRenderer } from '../previews/preview-renderer'
import type { Scheduler } from '../schedulers'
import { modelIdentity } from '../snapshots/model-identity'
import type { ModelIdentity } from '../snapshots/run-snapshot'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import { ModelLoader, type LoadedModels } from './loaded-models'
import type { FromPretrainedOptions } from './pipeline-types'
import { schedulerFromConfig } from './scheduler-factory'

/**
 * What pipelines made from one another share (diffusers' `from_pipe`): the model folder, its
 * onnxruntime sessions and tokenizers, the loaded-and-checked graphs, the load-time warnings and
 * the one-call-at-a-time guard. A text-to-image, an image-to-image and an inpainting pipeline on
 * one folder therefore hold each graph once; `release()` on any of them frees it for all. (The
 * single-graph wrappers a pipeline exposes, `pipe.unet` and `pipe.vae`, are `PipelineComponent`s
 * over these sessions.)
 */
export class PipelineComponents {
  readonly folder: ModelFolder
  readonly sessions: ComponentSessions
  readonly loader: ModelLoader
  /** Things found at load time (scheduler fallback, VAE config fallbacks), reported with results. */
  readonly loadWarnings: string[]
  /** The scheduler the folder's config names, for the first pipeline on these components. */
  readonly initialScheduler: Scheduler
  readonly memoryLimit: number | undefined
  /** Whether the graph passes may fuse attention at load (what the memory model assumes). */
  readonly fuseAttention: boolean
  /** Previews of latents by each method (their decoder sessions live in {@link sessions}). */
  readonly previews: PreviewRenderer
  /** The tokenizers, in text-encoder order; read by {@link loadTokenizers} (no native memory). */
  tokenizers: ClipTokenizer[] = []
  /** True while a call of any pipeline on these components runs. */
  running = false
  private models: LoadedModels | null = null
  private identity: Promise<ModelIdentity> | null = null

  constructor(folder: ModelFolder, options: FromPretrainedOptions) {
    this.folder = folder
    this.memoryLimit = options.memoryLimitBytes
    this.fuseAttention = options.fuseAttention !== false
    this.sessions = new ComponentSessions(folder, options)
    this.sessions.onLoadProgress = options.onLoadProgress ?? null
    this.loader = new ModelLoader(folder, this.sessions, options.textFixing)
    this.previews = new PreviewRenderer(
      this.sessions,
      folder.vaeConfig,
      folder.previewDecoder,
      () => folder.stepwise?.latentRgbFactors ?? latentRgbFactorsForFamily(folder.family),
      folder.dir
    )
    const { scheduler, warning } = schedulerFromConfig(
      folder.stepwise?.defaults.scheduler ?? stringOrNull(folder.schedulerConfig._class_name),
      folder.schedulerConfig
    )
    this.initialScheduler = scheduler
    this.loadWarnings = [...folder.warnings, ...(warning === null ? [] : [warning])]
  }

  /** The model's identity, which run snapshots carry and check (computed once). */
  modelIdentity(): Promise<ModelIdentity> {
    this.identity ??= modelIdentity(this.folder)
    return this.identity
  }

  /** Reads the tokenizers (once; they survive `release()`), so `pipe.tokenizer` is there at once. */
  async loadTokenizers(): Promise<ClipTokenizer[]> {
    this.tokenizers = await this.loader.loadTokenizers()
    return this.tokenizers
  }

  /** The graphs loaded so far (null before the first call or after `release`). */
  get loaded(): LoadedModels | null {
    return this.models
  }

  /** Creates every session a run needs now; the VAE encoder too when asked and present. */
  async load(withEncoder: boolean): Promise<void> {
    this.models = await this.loader.load(true, withEncoder && this.folder.hasVaeEncoder)
  }

  /** Frees all sessions; a later call creates them again. */
  async release(): Promise<void> {
    this.models = null
    await this.sessions.release()
  }

  /** Loads and checks the graphs a call needs, before any of them runs. */
  async ensure(
    withDecoder: boolean,
    withEncoder: boolean,
    onPhase?: (p: 'loading') => void
  ): Promise<LoadedModels> {
    const m = this.models
    if (m === null || (withDecoder && m.vae === null) || (withEncoder && m.vaeEncoder === null)) {
      onPhase?.('loading')
      this.models = await this.loader.load(
        withDecoder || m?.vae != null,
        withEncoder || m?.vaeEncoder != null
      )
    }
    const models = this.models as LoadedModels
    const { unet } = models
    const configured = this.folder.unetConfig.timeCondProjDim
    if (configured !== null && !unet.io.hasTimestepCond) {
      throw new ModelLoadError(
        unet.model.path,
        `unet/config.json sets time_cond_proj_dim ${configured}, but ${unet.model.label} has no timestep_cond input`
      )
    }
    const inChannels = this.folder.unetConfig.inChannels
    if (inChannels !== null && unet.io.inChannels !== null && inChannels !== unet.io.inChannels) {
      // Latents are drawn with the config's channel count; a graph that takes another would
      // fail inside onnxruntime at step 0 with a dimension error naming no file.
      throw new ModelLoadError(
        unet.model.path,
        `unet/config.json sets in_channels ${inChannels}, but ${unet.model.label} takes ${unet.io.inChannels}-channel samples; the config and the graph belong to different UNets`
      )
    }
    if (configured === null && unet.io.hasTimestepCond && unet.io.timestepCondDim === null) {
      throw new ModelLoadError(
        unet.model.path,
        `${unet.model.label} takes timestep_cond of unknown width and unet/config.json has no time_cond_proj_dim`
      )
    }
    return models
  }

  /** The UNet's input channels: its config's, else its graph's, else 4. */
  unetChannels(models: LoadedModels | null = this.models): number {
    return this.folder.unetConfig.inChannels ?? models?.unet.io.inChannels ?? 4
  }

  /** Warnings every result carries: load-time ones and provider fallbacks. */
  standingWarnings(): string[] {
    return [...this.loadWarnings, ...this.sessions.warnings]
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}
