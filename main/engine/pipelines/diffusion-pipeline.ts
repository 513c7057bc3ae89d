import { performance } from 'node:perf_hooks'
import type { Tensor } from 'onnxruntime-node'
import type { PipelineRunState, StepState } from '../callbacks/callback-types'
import { ComponentSessions } from '../models/component-sessions'
import type { GraphPassReport } from '../models/graph-passes'
import type { ModelFolder } from '../models/model-folder'
import { describeVaeDecoder } from '../models/vae-decoder-io'
import { ModelLoadError } from '../models/model-load-error'
import type { JsonObject } from '../models/read-json'
import { latentRgbFactorsForFamily, type LatentRgbFactors } from '../previews/latent-rgb-factors'
import { PreviewRenderer } from '../previews/preview-renderer'
import type { Scheduler } from '../schedulers'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { sameDims } from '../tensor/float-tensor'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import { runDenoisingLoop, type LoopHost } from './denoising-loop'
import {
  checkCallOptions,
  checkGenerators,
  latentsShapeMessage,
  prepareLatents
} from './generation-helpers'
import { guidanceScaleEmbedding } from './guidance'
import { readMemoryProfile, type MemoryProfile } from '../models/memory-profile'
import {
  estimateRunMemory,
  expectedRunGraphs,
  checkRunMemory,
  type MemoryEstimate,
  type RunGraphs,
  type RunShape
} from './memory-estimate'
import { vaeTilingFor, type VaeTiling } from './vae-tiling'
import type { FamilyHooks } from './family-hooks'
import { ModelLoader, type LoadedModels } from './loaded-models'
import type { PipelineFamily } from '../models/model-index'
import type {
  CallOptions,
  FromPretrainedOptions,
  OutputImages,
  OutputType,
  PipelineOutput
} from './pipeline-types'
import { PipelineComponent, VaeComponent } from './pipeline-components'
import { promptBatchSize } from './pipeline-loading'
import { pastEndWarnings, resolveStepEndCallback } from './resolve-callback'
import { schedulerFromConfig } from './scheduler-factory'
import { decodeLatents } from './vae-decode'

/** Generation defaults after applying the model's `stepwise.json` over diffusers' defaults. */
export interface PipelineDefaults {
  numInferenceSteps: number
  guidanceScale: number
  guidanceRescale: number
  height: number
  width: number
}

/**
 * The state and machinery shared by {@link StableDiffusionPipeline} and
 * {@link StableDiffusionXLPipeline}: diffusers' run-state fields and properties (what callbacks
 * read and assign), the model folder and its lazily created sessions, the scheduler.
 *
 * Run state is reset at the start of every call and stays readable afterwards (e.g.
 * `guidanceScale` is 0 after a run whose CFG was cut off).
 */
export abstract class DiffusionPipeline implements PipelineRunState, LoopHost {
  /** Backing field of `guidanceScale`; callbacks set it to 0 to end classifier-free guidance. */
  _guidanceScale = 0
  /** Backing field of `guidanceRescale`. */
  _guidanceRescale = 0
  /** Backing field of `interrupt`; callbacks set it to stop the run at the next step. */
  _interrupt = false
  /** Backing field of `clipSkip`. */
  _clipSkip: number | null = null
  /** Backing field of `numTimesteps`; set just before the loop. */
  _numTimesteps: number | null = null

  /** The scheduler; replace it freely between calls (`X.fromConfig(pipe.scheduler.config, …)`). */
  scheduler: Scheduler
  /** The model folder as read at load time. */
  readonly folder: ModelFolder
  /** The UNet (`pipe.unet.config`, `pipe.unet.run(feeds)`); its session is created on first use. */
  readonly unet: PipelineComponent
  /** The VAE decoder and its config (`pipe.vae.config.scaling_factor`, `pipe.vae.decode(z)`). */
  readonly vae: VaeComponent
  /**
   * Previews of latents by each method — `linear`, `tiny` (the folder's `preview_decoder/` or
   * the TAESD folder given as `previewDecoder`), `vae` — and the model's default method; its
   * decoder sessions are created on first use and freed by {@link release}.
   */
  readonly previews: PreviewRenderer

  /** `'sd'` or `'sdxl'`. */
  abstract readonly family: PipelineFamily
  /** diffusers' `_callback_tensor_inputs`: the names a callback may request and replace. */
  abstract readonly callbackTensorInputs: readonly string[]
  /** The diffusers class this pipeline follows, for messages. */
  protected abstract readonly className: string

  protected readonly sessions: ComponentSessions
  protected readonly loader: ModelLoader
  /** Things found at load time (scheduler fallback, VAE config fallbacks), reported with results. */
  protected readonly loadWarnings: string[]
  protected models: LoadedModels | null = null
  /** The tokenizers, in text-encoder order; loaded when the pipeline is created. */
  protected tokenizers: ClipTokenizer[] = []
  private currentStepState: StepState | null = null
  private running = false
  private readonly memoryLimit: number | undefined
  private readonly fuseAttention: boolean
  private memoryProfile: MemoryProfile | null = null
  private vaeTiling: 'auto' | 'on' | 'off' = 'off'

  protected constructor(folder: ModelFolder, options: FromPretrainedOptions) {
    this.folder = folder
    this.memoryLimit = options.memoryLimitBytes
    this.fuseAttention = options.fuseAttention !== false
    this.sessions = new ComponentSessions(folder, options)
    this.loader = new ModelLoader(folder, this.sessions, options.textFixing)
    this.unet = new PipelineComponent('unet', folder.unetConfig.raw, this.sessions)
    this.vae = new VaeComponent(folder.vaeConfig.raw, this.sessions, folder.vaeConfig)
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

  get guidanceScale(): number {
    return this._guidanceScale
  }

  get guidanceRescale(): number {
    return this._guidanceRescale
  }

  get clipSkip(): number | null {
    return this._clipSkip
  }

  /**
   * `_guidanceScale > 1` and the UNet has no `time_cond_proj_dim` (guidance-distilled UNets are
   * guided through `timestep_cond` instead). Recomputed on every read, so a callback that sets
   * `_guidanceScale = 0` turns CFG off from the next step on.
   */
  get doClassifierFreeGuidance(): boolean {
    return this._guidanceScale > 1 && this.timeCondProjDim === null
  }

  /** T, the number of timesteps of the current/last call. Throws before the first call sets it. */
  get numTimesteps(): number {
    if (this._numTimesteps === null) {
      throw new Error('numTimesteps is only known once a call has set the timesteps')
    }
    return this._numTimesteps
  }

  get interrupt(): boolean {
    return this._interrupt
  }

  /** Setting it stops the run at the top of the next step; the latents so far are still decoded. */
  set interrupt(value: boolean) {
    this._interrupt = value
  }

  get currentStep(): StepState | null {
    return this.currentStepState
  }

  /** @internal The loop publishes each step here for callbacks. */
  setCurrentStep(step: StepState | null): void {
    this.currentStepState = step
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
    return (await decodeLatents(model, io, this.folder.vaeConfig, latents)).images
  }

  /**
   * @internal What `fromPretrained` does after construction: the tokenizers, the preview decoder,
   * preloading.
   */
  protected async init(options: FromPretrainedOptions): Promise<void> {
    // Tokenizers hold no native memory: read now, so `pipe.tokenizer` is there at once.
    this.tokenizers = await this.loader.loadTokenizers()
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

  /** Resets diffusers' run state from a call's arguments. */
  protected resetRunState(
    guidanceScale: number,
    guidanceRescale: number,
    clipSkip: number | null
  ): void {
    this._guidanceScale = guidanceScale
    this._guidanceRescale = guidanceRescale
    this._clipSkip = clipSkip
    this._interrupt = false
    this._numTimesteps = null
    this.currentStepState = null
  }

  /**
   * The text-to-image call shared by SD and SDXL, in the order of diffusers' `StableDiffusionPipeline.__call__`: callback
   * override, defaults, input checks (before any model runs), run-state reset, prompt encoding
   * with the CFG flag as it is now, timesteps, latents × `initNoiseSigma`, `timestep_cond`,
   * `numTimesteps`, the loop, then decoding (also after an interrupt).
   */
  protected async generate<O extends OutputType, P extends PipelineRunState, N extends string>(
    options: CallOptions<O, P, N>,
    family: FamilyHooks
  ): Promise<PipelineOutput<O>> {
    // A plain callback is typed with the concrete pipeline (P) and its tensor names (N); the loop
    // hands it `this`, which is that pipeline, and only the names checked against N.
    const o = options as unknown as CallOptions<O>
    // The run state lives on the pipeline (as in diffusers), so two overlapping calls would
    // corrupt each other's guidance scale, interrupt flag and scheduler position.
    if (this.running) {
      throw new Error('this pipeline is already running a call; await it before starting another')
    }
    this.running = true
    try {
      return await this.generateUnguarded(o, family)
    } finally {
      this.running = false
    }
  }

  private async generateUnguarded<O extends OutputType>(
    o: CallOptions<O>,
    family: FamilyHooks
  ): Promise<PipelineOutput<O>> {
    const started = performance.now()
    const { callback, tensorInputs } = resolveStepEndCallback(
      o.callbackOnStepEnd,
      o.callbackOnStepEndTensorInputs
    )
    const d = this.defaults
    const height = o.height ?? d.height
    const width = o.width ?? d.width
    family.checkInputs({ height, width, tensorInputs, sizeMultiple: this.folder.sizeMultiple })
    const resolved = {
      numInferenceSteps: o.numInferenceSteps ?? d.numInferenceSteps,
      guidanceScale: o.guidanceScale ?? d.guidanceScale,
      guidanceRescale: o.guidanceRescale ?? d.guidanceRescale,
      numImagesPerPrompt: o.numImagesPerPrompt ?? 1,
      height,
      width
    }
    checkCallOptions(o, resolved)
    const outputType: OutputType = o.outputType ?? 'image'
    const batchSize = promptBatchSize(o.prompt, o.promptEmbeds)
    const B = batchSize * resolved.numImagesPerPrompt
    checkGenerators(o.generator, B)
    // Before any allocation: a size whose activations cannot fit is refused, not attempted.
    const shape = {
      height,
      width,
      unetRows: B * (resolved.guidanceScale > 1 ? 2 : 1),
      images: outputType === 'image' ? B : 0
    }
    const { tiling, note, refusal } = await this.planVaeDecode(shape)
    if (refusal !== null) throw new Error(refusal)

    this.resetRunState(resolved.guidanceScale, resolved.guidanceRescale, o.clipSkip ?? null)
    const models = await this.ensureModels(outputType === 'image', o.onPhase)
    const channels = this.folder.unetConfig.inChannels ?? models.unet.io.inChannels ?? 4
    const f = this.vaeScaleFactor
    const latentShape = [B, channels, Math.floor(height / f), Math.floor(width / f)]
    if (o.latents !== undefined && o.latents !== null && !sameDims(o.latents.dims, latentShape)) {
      throw new Error(latentsShapeMessage(o.latents.dims, latentShape))
    }

    o.onPhase?.('encoding')
    const encoded = await family.encode(models, {
      numImagesPerPrompt: resolved.numImagesPerPrompt,
      doClassifierFreeGuidance: this.doClassifierFreeGuidance,
      height,
      width,
      textFixing: o.textFixing
    })
    this.scheduler.setTimesteps(resolved.numInferenceSteps)
    let timesteps: readonly number[] = [...this.scheduler.timesteps]
    let numInferenceSteps = resolved.numInferenceSteps
    if (family.adjustTimesteps !== undefined) {
      ;({ timesteps, numInferenceSteps } = family.adjustTimesteps(timesteps, numInferenceSteps))
    }
    const tensors = encoded.tensors
    tensors.latents = prepareLatents(
      latentShape,
      o.generator,
      o.latents,
      this.scheduler.initNoiseSigma
    )
    const condDim = this.timeCondProjDim
    const timestepCond =
      condDim === null ? null : guidanceScaleEmbedding(this._guidanceScale, condDim, B)
    this._numTimesteps = timesteps.length
    family.beforeLoop?.()

    o.onPhase?.('denoising')
    const loop = await runDenoisingLoop({
      host: this,
      scheduler: this.scheduler,
      timesteps,
      numInferenceSteps,
      batchSize: B,
      tensors,
      writeBack: this.callbackTensorInputs,
      tensorInputs,
      callback,
      unet: models.unet,
      unetConditioning: family.unetConditioning,
      timestepCond,
      generator: Array.isArray(o.generator) ? o.generator[0] : (o.generator ?? undefined),
      // diffusers' pipelines default eta to 0.0 and pass it to every step that takes one.
      eta: o.eta ?? 0,
      onStepEnd: o.onStepEnd
    })
    this.setCurrentStep(null)

    const warnings = [
      ...this.standingWarnings(),
      ...encoded.warnings,
      ...pastEndWarnings(o.callbackOnStepEnd, timesteps.length)
    ]
    const fallbacks = [...loop.fallbacks]
    let images: Tensor | RgbaImage[] = tensors.latents as Tensor
    if (outputType === 'image') {
      o.onPhase?.('decoding')
      const vae = models.vae as NonNullable<LoadedModels['vae']>
      if (vae.io.float16 && this.folder.vaeConfig.forceUpcast) {
        warnings.push(
          `${vae.model.label} runs in float16 but the VAE config sets force_upcast (this VAE overflows in float16; diffusers decodes it in float32): use a float32 or fp16-fixed decoder if images come out black`
        )
      }
      const decoded = await decodeLatents(
        vae.model,
        vae.io,
        this.folder.vaeConfig,
        tensors.latents as Tensor,
        tiling
      )
      if (decoded.tiled && note !== null) warnings.push(note)
      if (decoded.fallback !== null) fallbacks.push(decoded.fallback)
      images = decoded.images
    }
    const providers = await this.usedProviders()
    return {
      images: images as OutputImages<O>,
      nsfwContentDetected: null,
      width,
      height,
      scheduler: this.scheduler.className,
      numInferenceSteps,
      numTimesteps: timesteps.length,
      stepsRun: loop.stepsRun,
      interrupted: this._interrupt,
      guidanceScale: resolved.guidanceScale,
      provider: providers.unet ?? models.unet.model.provider,
      providers,
      unetBatchFallback: fallbacks.length === 0 ? null : fallbacks.join('; '),
      steps: loop.steps,
      totalMs: performance.now() - started,
      unetMs: loop.unetMs,
      warnings
    }
  }

  /**
   * Warnings known before a call ends: the folder's load-time ones and the provider fallbacks
   * of the sessions created so far (all of a call's graphs once its loading phase is over), so
   * a host can show a CPU fallback while the run is still going. Results carry them too.
   */
  get loadTimeWarnings(): string[] {
    return this.standingWarnings()
  }

  /**
   * diffusers' `enable_vae_tiling()`: decode in overlapping tiles (vae-tiling.ts). `'always'`
   * (diffusers' behaviour) tiles whatever the memory; `'auto'` tiles only when a whole decode
   * would not fit the memory limit but a tiled one would, and says so in the result's warnings.
   * Off by default: a size that does not fit is refused.
   */
  enableVaeTiling(mode: 'always' | 'auto' = 'always'): void {
    this.vaeTiling = mode === 'always' ? 'on' : 'auto'
  }

  /** diffusers' `disable_vae_tiling()`: always decode whole (a size that does not fit is refused). */
  disableVaeTiling(): void {
    this.vaeTiling = 'off'
  }

  /**
   * Whether this run's decode is tiled, and the refusal when even that cannot fit: checked
   * before anything is allocated (memory-estimate.ts, `checkRunMemory`).
   */
  private async planVaeDecode(
    shape: RunShape
  ): Promise<{ tiling: VaeTiling | null; note: string | null; refusal: string | null }> {
    const tiling = vaeTilingFor(this.folder.vaeConfig)
    this.memoryProfile ??= await readMemoryProfile(this.folder)
    const check = checkRunMemory(this.folder, shape, this.memoryProfile, this.runGraphs(), {
      ...(this.memoryLimit === undefined ? {} : { limit: this.memoryLimit }),
      vaeTiling: this.vaeTiling,
      tileSize: tiling.tileSampleMinSize
    })
    return {
      tiling: check.vaeTileSize === null ? null : tiling,
      note: check.note,
      refusal: check.refusal
    }
  }

  private runGraphs(): RunGraphs {
    const gpu = this.sessions.providers[0] !== undefined && this.sessions.providers[0] !== 'cpu'
    return expectedRunGraphs(this.memoryProfile ?? { graphs: {} }, {
      gpu,
      fuseAttention: this.fuseAttention,
      reports: this.sessions.graphPasses
    })
  }

  /**
   * The memory model's estimate of a run at `shape` (see memory-estimate.ts), from the graph
   * files (read once) and what the graph passes did, or are expected to do before the first load;
   * `vaeTileSize` when the VAE decodes in tiles of that many pixels.
   */
  async estimateMemory(shape: RunShape, vaeTileSize?: number): Promise<MemoryEstimate> {
    this.memoryProfile ??= await readMemoryProfile(this.folder)
    return estimateRunMemory(this.folder, shape, this.memoryProfile, {
      ...this.runGraphs(),
      ...(vaeTileSize === undefined ? {} : { vaeTileSize })
    })
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
