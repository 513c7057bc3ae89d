import { ComponentSessions } from '../models/component-sessions'
import type { GraphPassReport } from '../models/graph-passes'
import type { ModelFolder } from '../models/model-folder'
import { ModelLoadError } from '../models/model-load-error'
import type { PipelineFamily } from '../models/model-index'
import type { JsonObject } from '../models/read-json'
import { latentRgbFactorsForFamily, type LatentRgbFactors } from '../previews/latent-rgb-factors'
import { PreviewRenderer } from '../previews/preview-renderer'
import type { Scheduler } from '../schedulers'
import { modelIdentity } from '../snapshots/model-identity'
import type { ModelIdentity } from '../snapshots/run-snapshot'
import { ModelLoader, type LoadedModels } from './loaded-models'
import type { FromPretrainedOptions } from './pipeline-types'
import { schedulerFromConfig } from './scheduler-factory'

/** Generation defaults after applying the model's `stepwise.json` over diffusers' defaults. */
export interface PipelineDefaults {
  numInferenceSteps: number
  guidanceScale: number
  guidanceRescale: number
  height: number
  width: number
}

/**
 * A pipeline's model: the folder as read at load time, its configs and defaults, its lazily
 * created sessions, its identity for run snapshots, and the scheduler. {@link DiffusionPipeline}
 * adds the run state and the call on top.
 */
export abstract class ModelPipeline {
  /** The scheduler; replace it freely between calls (`X.fromConfig(pipe.scheduler.config, …)`). */
  scheduler: Scheduler
  /** The model folder as read at load time. */
  readonly folder: ModelFolder
  /**
   * Previews of latents by each method — `linear`, `tiny` (the folder's `preview_decoder/` or
   * the TAESD folder given as `previewDecoder`), `vae` — and the model's default method; its
   * decoder sessions are created on first use and freed by {@link release}.
   */
  readonly previews: PreviewRenderer

  /** `'sd'` or `'sdxl'`. */
  abstract readonly family: PipelineFamily

  protected readonly sessions: ComponentSessions
  protected readonly loader: ModelLoader
  /** Things found at load time (scheduler fallback, VAE config fallbacks), reported with results. */
  protected readonly loadWarnings: string[]
  protected models: LoadedModels | null = null
  private identity: Promise<ModelIdentity> | null = null
  protected readonly memoryLimit: number | undefined

  protected constructor(folder: ModelFolder, options: FromPretrainedOptions) {
    this.folder = folder
    this.memoryLimit = options.memoryLimitBytes
    this.sessions = new ComponentSessions(folder, options)
    this.loader = new ModelLoader(folder, this.sessions)
    this.previews = new PreviewRenderer(
      this.sessions,
      folder.vaeConfig,
      folder.previewDecoder,
      () => this.latentRgbFactors,
      folder.dir
    )
    const { scheduler, warning } = schedulerFromConfig(
      folder.stepwise?.defaults.scheduler ?? stringOrNull(folder.schedulerConfig._class_name),
      folder.schedulerConfig
    )
    this.scheduler = scheduler
    this.loadWarnings = [...folder.warnings, ...(warning === null ? [] : [warning])]
  }

  /** `model_index.json`, like diffusers' `pipe.config`. */
  get config(): JsonObject {
    return this.folder.index.raw
  }

  /** `2 ** (len(vae.block_out_channels) - 1)`: 8 for every SD/SDXL VAE. */
  get vaeScaleFactor(): number {
    return this.folder.vaeConfig.scaleFactor
  }

  /** Preview table: the model's fitted `stepwise.json` factors, else the family's built-in table. */
  get latentRgbFactors(): LatentRgbFactors {
    return this.folder.stepwise?.latentRgbFactors ?? latentRgbFactorsForFamily(this.family)
  }

  /** `time_cond_proj_dim` from the UNet config, or from its `timestep_cond` input once loaded. */
  get timeCondProjDim(): number | null {
    const configured = this.folder.unetConfig.timeCondProjDim
    if (configured !== null) return configured
    const io = this.models?.unet.io
    return io?.hasTimestepCond === true ? (io.timestepCondDim ?? -1) : null
  }

  /** diffusers' defaults, overridden by the model's `stepwise.json` `defaults`. */
  get defaults(): PipelineDefaults {
    const d = this.folder.stepwise?.defaults
    const size = this.defaultSampleSize()
    const f = this.vaeScaleFactor
    return {
      numInferenceSteps: d?.numInferenceSteps ?? 50,
      guidanceScale: d?.guidanceScale ?? this.diffusersDefaultGuidance,
      guidanceRescale: d?.guidanceRescale ?? 0,
      height: d?.height ?? size[0] * f,
      width: d?.width ?? size[1] * f
    }
  }

  /** The model's identity, which run snapshots carry and check (computed once). */
  modelIdentity(): Promise<ModelIdentity> {
    this.identity ??= modelIdentity(this.folder)
    return this.identity
  }

  /** @internal What `fromPretrained` does after construction: the preview decoder, preloading. */
  protected async init(options: FromPretrainedOptions): Promise<void> {
    if (options.previewDecoder !== undefined && options.previewDecoder !== null) {
      await this.previews.setTinyDecoder(options.previewDecoder)
    }
    if (options.preload === true) await this.load()
  }

  /** Creates every session now (e.g. during an app's "loading" phase). */
  async load(): Promise<void> {
    this.models = await this.loader.load(true)
  }

  /** Frees all sessions (the preview decoders' too); a later call creates them again. */
  async release(): Promise<void> {
    this.models = null
    await this.sessions.release()
  }

  /** 7.5 for SD, 5.0 for SDXL (diffusers' `__call__` defaults). */
  protected abstract readonly diffusersDefaultGuidance: number

  /** `[h, w]` of the UNet's `sample_size`, or the family fallback (SD 64, SDXL 128). */
  protected defaultSampleSize(): [number, number] {
    const s = this.folder.unetConfig.sampleSize
    if (s === null) return this.family === 'sdxl' ? [128, 128] : [64, 64]
    return typeof s === 'number' ? [s, s] : s
  }

  /** Loads and checks the graphs a call needs, before any of them runs. */
  protected async ensureModels(
    withDecoder: boolean,
    onPhase?: (p: 'loading') => void
  ): Promise<LoadedModels> {
    if (this.models === null || (withDecoder && this.models.vae === null)) {
      onPhase?.('loading')
      this.models = await this.loader.load(withDecoder)
    }
    const { unet } = this.models
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
    return this.models
  }

  /**
   * Warnings known before a call ends: the folder's load-time ones and the provider fallbacks
   * of the sessions created so far (all of a call's graphs once its loading phase is over), so
   * a host can show a CPU fallback while the run is still going. Results carry them too.
   */
  get loadTimeWarnings(): string[] {
    return this.standingWarnings()
  }

  /** Warnings every result carries: load-time ones and provider fallbacks. */
  protected standingWarnings(): string[] {
    return [...this.loadWarnings, ...this.sessions.warnings]
  }

  /**
   * What the graph passes did to each graph loaded so far ("attention fused (16 of 16)", or why
   * not): see models/graph-passes.ts. Graphs load on first use, so this fills during the first
   * call (or at once with `preload`).
   */
  get graphPasses(): GraphPassReport[] {
    return this.sessions.graphPasses
  }

  /**
   * The provider each graph with a live session runs on; empty after `release()` until the next
   * call creates sessions again (graphs are loaded when a call first needs them).
   */
  usedProviders(): ReturnType<ComponentSessions['usedProviders']> {
    return this.sessions.usedProviders()
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}
