import type { ComponentSessions } from '../models/component-sessions'
import type { GraphPassReport } from '../models/graph-passes'
import type { ModelFolder } from '../models/model-folder'
import { describeVaeDecoder } from '../models/vae-decoder-io'
import type { PipelineFamily } from '../models/model-index'
import type { JsonObject } from '../models/read-json'
import { latentRgbFactorsForFamily, type LatentRgbFactors } from '../previews/latent-rgb-factors'
import type { RgbaImage } from '../previews/latents-to-rgb'
import type { PreviewRenderer } from '../previews/preview-renderer'
import type { Scheduler } from '../schedulers'
import type { ModelIdentity } from '../snapshots/run-snapshot'
import type { Tensor } from 'onnxruntime-node'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import type { ModelLoader } from './loaded-models'
import { PipelineComponent, VaeComponent } from './pipeline-components'
import type { FromPretrainedOptions } from './pipeline-types'
import { PipelineComponents } from './shared-components'
import { decodeLatents } from './vae-decode'
import type { VaeTiling } from './vae-tiling'

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
  /** The folder's sessions, graphs and warnings, shared with pipelines made by `fromPipe`. */
  readonly components: PipelineComponents
  /** The UNet (`pipe.unet.config`, `pipe.unet.run(feeds)`); its session is created on first use. */
  readonly unet: PipelineComponent
  /** The VAE decoder and its config (`pipe.vae.config.scaling_factor`, `pipe.vae.decode(z)`). */
  readonly vae: VaeComponent

  /** `'sd'` or `'sdxl'`. */
  abstract readonly family: PipelineFamily

  /**
   * Builds a pipeline on new components for `folder`, or (diffusers' `from_pipe`) on another
   * pipeline's components and scheduler, sharing its sessions.
   */
  protected constructor(
    source: ModelFolder | PipelineComponents,
    options: FromPretrainedOptions = {},
    scheduler?: Scheduler
  ) {
    this.components =
      source instanceof PipelineComponents ? source : new PipelineComponents(source, options)
    this.folder = this.components.folder
    this.scheduler = scheduler ?? this.components.initialScheduler
    this.unet = new PipelineComponent('unet', this.folder.unetConfig.raw, this.sessions)
    this.vae = new VaeComponent(this.folder.vaeConfig.raw, this.sessions, this.folder.vaeConfig)
  }

  /**
   * Previews of latents by each method — `linear`, `tiny` (the folder's `preview_decoder/` or
   * the TAESD folder given as `previewDecoder`), `vae` — and the model's default method; its
   * decoder sessions are created on first use and freed by {@link release}. Shared with
   * pipelines made by `fromPipe`.
   */
  get previews(): PreviewRenderer {
    return this.components.previews
  }

  protected get sessions(): ComponentSessions {
    return this.components.sessions
  }

  protected get loader(): ModelLoader {
    return this.components.loader
  }

  /** The tokenizers, in text-encoder order; read when the first pipeline on the folder is made. */
  protected get tokenizers(): ClipTokenizer[] {
    return this.components.tokenizers
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
    const io = this.components.loaded?.unet.io
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
    return this.components.modelIdentity()
  }

  /** A text encoder of this model as a component, or null where the folder has none. */
  protected encoderComponent(name: 'text_encoder' | 'text_encoder_2'): PipelineComponent | null {
    if (!this.folder.textEncoders.includes(name)) return null
    const config = this.folder.textEncoderConfigs[name]?.raw ?? {}
    return new PipelineComponent(name, config, this.sessions)
  }

  /** The tokenizer paired with a text encoder, or null where the folder has none. */
  protected tokenizerFor(name: 'text_encoder' | 'text_encoder_2'): ClipTokenizer | null {
    const k = this.folder.textEncoders.indexOf(name)
    return k < 0 ? null : (this.tokenizers[k] ?? null)
  }

  /**
   * Decodes latents to RGBA images as a call with `outputType: 'image'` does: undo the latent
   * scaling, run the VAE decoder, map −1 … 1 to 8-bit pixels (diffusers' `vae.decode` +
   * `image_processor.postprocess`). For the latents of `outputType: 'latent'`.
   */
  async decodeLatents(latents: Tensor): Promise<RgbaImage[]> {
    const model = await this.sessions.get('vae_decoder')
    const io = describeVaeDecoder(model)
    const tiling = this.decodeTiling()
    return (await decodeLatents(model, io, this.folder.vaeConfig, latents, tiling)).images
  }

  /** The tiling {@link decodeLatents} decodes in: none here (a pipeline with memory modes may tile). */
  protected decodeTiling(): VaeTiling | null {
    return null
  }

  /**
   * @internal What `fromPretrained` does after construction: the tokenizers, the preview decoder,
   * preloading.
   */
  protected async init(options: FromPretrainedOptions): Promise<void> {
    // Tokenizers hold no native memory: read now, so `pipe.tokenizer` is there at once.
    await this.components.loadTokenizers()
    if (options.previewDecoder !== undefined && options.previewDecoder !== null) {
      await this.previews.setTinyDecoder(options.previewDecoder)
    }
    if (options.preload === true) await this.load()
  }

  /** Creates every session now (e.g. during an app's "loading" phase). */
  async load(): Promise<void> {
    await this.components.load(this.startsFromImage)
  }

  /**
   * Frees all sessions (the preview decoders' too); a later call creates them again. Pipelines
   * made from this one with `fromPipe` share the sessions, so they are freed for them too.
   */
  async release(): Promise<void> {
    await this.components.release()
  }

  /** True for the image-to-image and inpainting pipelines (they also load the VAE encoder). */
  protected readonly startsFromImage: boolean = false

  /** 7.5 for SD, 5.0 for SDXL (diffusers' `__call__` defaults). */
  protected abstract readonly diffusersDefaultGuidance: number

  /** `[h, w]` of the UNet's `sample_size`, or the family fallback (SD 64, SDXL 128). */
  protected defaultSampleSize(): [number, number] {
    const s = this.folder.unetConfig.sampleSize
    if (s === null) return this.family === 'sdxl' ? [128, 128] : [64, 64]
    return typeof s === 'number' ? [s, s] : s
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
    return this.components.standingWarnings()
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
