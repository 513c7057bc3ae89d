import { performance } from 'node:perf_hooks'
import type { Tensor } from 'onnxruntime-node'
import type { PipelineRunState, StepState } from '../callbacks/callback-types'
import type { ComponentSessions } from '../models/component-sessions'
import type { GraphPassReport } from '../models/graph-passes'
import type { ModelFolder } from '../models/model-folder'
import type { JsonObject } from '../models/read-json'
import { latentRgbFactorsForFamily, type LatentRgbFactors } from '../previews/latent-rgb-factors'
import type { PreviewRenderer } from '../previews/preview-renderer'
import type { Scheduler } from '../schedulers'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { formatDims, sameDims } from '../tensor/float-tensor'
import { runDenoisingLoop, type LoopHost } from './denoising-loop'
import { checkCallOptions, checkGenerators, prepareLatents } from './generation-helpers'
import { guidanceScaleEmbedding } from './guidance'
import { estimateRunMemory, memoryRefusal } from './memory-estimate'
import type { FamilyHooks } from './family-hooks'
import type { ImageRunHooks, PreparedImageRun } from './image-run-types'
import type { LoadedModels } from './loaded-models'
import type { PipelineFamily } from '../models/model-index'
import { PipelineComponents } from './pipeline-components'
import type {
  CallOptions,
  FromPretrainedOptions,
  OutputImages,
  OutputType,
  PipelineOutput
} from './pipeline-types'
import { promptBatchSize } from './pipeline-loading'
import { pastEndWarnings, resolveStepEndCallback } from './resolve-callback'
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
  /**
   * Previews of latents by each method — `linear`, `tiny` (the folder's `preview_decoder/` or
   * the TAESD folder given as `previewDecoder`), `vae` — and the model's default method; its
   * decoder sessions are created on first use and freed by {@link release}. Shared with
   * pipelines made by `fromPipe`.
   */
  get previews(): PreviewRenderer {
    return this.components.previews
  }

  /** `'sd'` or `'sdxl'`. */
  abstract readonly family: PipelineFamily
  /** diffusers' `_callback_tensor_inputs`: the names a callback may request and replace. */
  abstract readonly callbackTensorInputs: readonly string[]

  /** The folder's sessions, graphs and warnings, shared with pipelines made by `fromPipe`. */
  readonly components: PipelineComponents
  private currentStepState: StepState | null = null

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
  }

  protected get sessions(): ComponentSessions {
    return this.components.sessions
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

  /** @internal What `fromPretrained` does after construction: the preview decoder, preloading. */
  protected async init(options: FromPretrainedOptions): Promise<void> {
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
  protected async generate<O extends OutputType>(
    o: CallOptions<O>,
    family: FamilyHooks,
    image?: ImageRunHooks
  ): Promise<PipelineOutput<O>> {
    // The run state lives on the pipeline (as in diffusers), so two overlapping calls would
    // corrupt each other's guidance scale, interrupt flag and scheduler position; pipelines made
    // with fromPipe share sessions and usually the scheduler, so the guard is theirs together.
    if (this.components.running) {
      throw new Error('this pipeline is already running a call; await it before starting another')
    }
    this.components.running = true
    try {
      return await this.generateUnguarded(o, family, image)
    } finally {
      this.components.running = false
    }
  }

  private async generateUnguarded<O extends OutputType>(
    o: CallOptions<O>,
    family: FamilyHooks,
    image: ImageRunHooks | undefined
  ): Promise<PipelineOutput<O>> {
    const started = performance.now()
    const { callback, tensorInputs } = resolveStepEndCallback(
      o.callbackOnStepEnd,
      o.callbackOnStepEndTensorInputs,
      this.callbackTensorInputs
    )
    const d = this.defaults
    // An image run takes its size from the picture (img2img) or the options (inpainting), after
    // checking and preprocessing them; nothing has run yet either way.
    const size =
      image === undefined
        ? { height: o.height ?? d.height, width: o.width ?? d.width }
        : image.prepareInputs({ defaults: d, vaeScaleFactor: this.vaeScaleFactor })
    const { height, width } = size
    family.checkInputs({ height, width, tensorInputs })
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
    const tooLarge = memoryRefusal(
      shape,
      estimateRunMemory(this.folder, shape),
      this.components.memoryLimit
    )
    if (tooLarge !== null) throw new Error(tooLarge)

    this.resetRunState(resolved.guidanceScale, resolved.guidanceRescale, o.clipSkip ?? null)
    if (image !== undefined && !this.folder.hasVaeEncoder && needsEncoder(o, image)) {
      throw new Error(
        `${this.folder.dir} has no VAE encoder (vae_encoder/model.onnx), so it cannot start from an image: image-to-image and inpainting encode the picture first`
      )
    }
    const models = await this.components.ensure(
      outputType === 'image',
      image !== undefined && this.folder.hasVaeEncoder,
      o.onPhase
    )
    const unetChannels = this.components.unetChannels(models)
    checkUnetChannels(unetChannels, image)
    const channels = image === undefined ? unetChannels : 4
    const f = this.vaeScaleFactor
    const latentShape = [B, channels, Math.floor(height / f), Math.floor(width / f)]
    if (o.latents !== undefined && o.latents !== null && !sameDims(o.latents.dims, latentShape)) {
      throw new Error(
        `Unexpected latents shape, got ${formatDims(o.latents.dims)}, expected ${formatDims(latentShape)}`
      )
    }

    o.onPhase?.('encoding')
    const encoded = await family.encode(models, {
      numImagesPerPrompt: resolved.numImagesPerPrompt,
      doClassifierFreeGuidance: this.doClassifierFreeGuidance,
      height,
      width
    })
    this.scheduler.setTimesteps(resolved.numInferenceSteps)
    let timesteps: readonly number[] = [...this.scheduler.timesteps]
    let numInferenceSteps = resolved.numInferenceSteps
    let startStep = 0
    if (image !== undefined) {
      const start = image.startTimesteps(this.scheduler, numInferenceSteps)
      ;({ timesteps, numInferenceSteps } = start)
      startStep = start.startIndex
      if (timesteps.length === 0) {
        throw new Error(
          `strength ${String(image.strength)} with ${resolved.numInferenceSteps} steps runs no denoising step (int(${resolved.numInferenceSteps} · ${String(image.strength)}) = 0); raise the strength or the number of steps`
        )
      }
    }
    if (family.adjustTimesteps !== undefined) {
      ;({ timesteps, numInferenceSteps } = family.adjustTimesteps(timesteps, numInferenceSteps))
    }
    const tensors = encoded.tensors
    let prepared: PreparedImageRun | null = null
    if (image === undefined) {
      tensors.latents = prepareLatents(
        latentShape,
        o.generator,
        o.latents,
        this.scheduler.initNoiseSigma
      )
    } else {
      o.onPhase?.('encoding')
      prepared = await image.prepareLatents({
        folder: this.folder,
        models,
        scheduler: this.scheduler,
        timesteps,
        batchSize: B,
        doClassifierFreeGuidance: this.doClassifierFreeGuidance,
        generator: o.generator,
        latents: o.latents ?? null,
        latentSize: [latentShape[2] as number, latentShape[3] as number],
        unetChannels
      })
      Object.assign(tensors, prepared.tensors)
      tensors.latents = prepared.latents
    }
    const condDim = this.timeCondProjDim
    const timestepCond =
      condDim === null ? null : guidanceScaleEmbedding(this._guidanceScale, condDim, B)
    this._numTimesteps = timesteps.length
    // Image runs set the begin index in getTimesteps; only text-to-image starts at 0 here.
    if (image === undefined) family.beforeLoop?.()

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
      onStepEnd: o.onStepEnd,
      extraInputChannels: prepared?.extraInputChannels ?? [],
      afterStep: prepared?.afterStep ?? null
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
        tensors.latents as Tensor
      )
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
      startStep,
      strength: image?.strength ?? null,
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

/** Whether an image run will encode pixels (not when the caller gives latents for everything). */
function needsEncoder(o: CallOptions, image: ImageRunHooks): boolean {
  return image.kind === 'inpaint' || o.latents === undefined || o.latents === null
}

/**
 * A 9-channel inpainting UNet only runs in an inpainting pipeline, and an inpainting pipeline
 * needs a 4- or 9-channel UNet; said before any step instead of failing inside onnxruntime.
 */
function checkUnetChannels(channels: number, image: ImageRunHooks | undefined): void {
  if (image?.kind === 'inpaint') return
  if (channels === 9) {
    throw new Error(
      `this model's UNet takes 9 input channels (latents, mask and masked-image latents): it is an inpainting model; use StableDiffusionInpaintPipeline / StableDiffusionXLInpaintPipeline or AutoPipelineForInpainting with an image and a mask`
    )
  }
}
