import { performance } from 'node:perf_hooks'
import type { Tensor } from 'onnxruntime-node'
import type { KeptAsideGuidance, PipelineRunState, StepState } from '../callbacks/callback-types'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { getDefaultGenerator, type Generator } from '../random/generator'
import { captureRunSnapshot } from '../snapshots/capture'
import {
  checkSnapshotModel,
  generatorOf,
  promptsChanged,
  resumeOptions,
  snapshotParams,
  tensorOf
} from '../snapshots/resume'
import { RunSnapshotError, type RunSnapshot } from '../snapshots/run-snapshot'
import { sameDims } from '../tensor/float-tensor'
import { runDenoisingLoop, type LoopHost } from './denoising-loop'
import type { FamilyHooks } from './family-hooks'
import type { ImageRunHooks, PreparedImageRun } from './image-run-types'
import {
  checkCallOptions,
  checkGenerators,
  latentsShapeMessage,
  prepareLatents
} from './generation-helpers'
import { guidanceScaleEmbedding } from './guidance'
import { readMemoryProfile, type MemoryProfile } from '../models/memory-profile'
import type { LoadedModels } from './loaded-models'
import {
  estimateRunMemory,
  expectedRunGraphs,
  type MemoryEstimate,
  type RunGraphs,
  type RunShape
} from './memory-estimate'
import { checkRunMemory, type MemoryCheck, type MemorySaving } from './memory-check'
import { ModelPipeline } from './model-pipeline'
import type { CallOptions, OutputImages, OutputType, PipelineOutput } from './pipeline-types'
import { vaeTilingFor, type VaeTiling } from './vae-tiling'
import { promptBatchSize } from './pipeline-loading'
import { pastEndWarnings, resolveStepEndCallback } from './resolve-callback'
import {
  conditioningOf,
  currentGuidanceScale,
  restoredScheduler,
  restoreSnapshotGuidance
} from './resumed-run'
import { decodeLatents } from './vae-decode'

export type { PipelineDefaults } from './model-pipeline'

/**
 * The state and machinery shared by {@link StableDiffusionPipeline} and
 * {@link StableDiffusionXLPipeline}: diffusers' run-state fields and properties (what callbacks
 * read and assign), the model folder and its lazily created sessions, the scheduler.
 *
 * Run state is reset at the start of every call and stays readable afterwards (e.g.
 * `guidanceScale` is 0 after a run whose CFG was cut off).
 */
export abstract class DiffusionPipeline
  extends ModelPipeline
  implements PipelineRunState, LoopHost
{
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
  /** The unconditional rows set aside while guidance is off (see `keepConditionalHalf`). */
  _keptAside: KeptAsideGuidance | null = null

  /** diffusers' `_callback_tensor_inputs`: the names a callback may request and replace. */
  abstract readonly callbackTensorInputs: readonly string[]
  /** The diffusers class this pipeline follows, for messages. */
  protected abstract readonly className: string

  private currentStepState: StepState | null = null
  private running = false
  private memoryProfile: MemoryProfile | null = null
  private vaeTiling: MemorySaving = 'off'
  private lowMemory: MemorySaving = 'off'

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
    this._keptAside = null
    this.currentStepState = null
  }

  /**
   * The options of a call: as given, or, for a call with `resumeFrom`, the snapshot's recorded
   * options with what the call gives over them (checked: only prompts and guidance may change).
   */
  protected callOptions<T extends { resumeFrom?: RunSnapshot | null }>(options: T): T {
    const snap = options.resumeFrom ?? null
    return snap === null ? options : resumeOptions(options, snap)
  }

  /**
   * The text-to-image call shared by SD and SDXL, in the order of diffusers' `StableDiffusionPipeline.__call__`: callback
   * override, defaults, input checks (before any model runs), run-state reset, prompt encoding
   * with the CFG flag as it is now, timesteps, latents × `initNoiseSigma`, `timestep_cond`,
   * `numTimesteps`, the loop, then decoding (also after an interrupt).
   */
  protected async generate<O extends OutputType, P extends PipelineRunState, N extends string>(
    options: CallOptions<O, P, N>,
    family: FamilyHooks,
    asked: CallOptions<O, P, N> = options,
    image?: ImageRunHooks
  ): Promise<PipelineOutput<O>> {
    // A plain callback is typed with the concrete pipeline (P) and its tensor names (N); the loop
    // hands it `this`, which is that pipeline, and only the names checked against N.
    const o = options as unknown as CallOptions<O>
    // The run state lives on the pipeline (as in diffusers), so two overlapping calls would
    // corrupt each other's guidance scale, interrupt flag and scheduler position; pipelines made
    // with fromPipe share sessions and usually the scheduler, so the guard is theirs together.
    if (this.components.running) {
      throw new Error('this pipeline is already running a call; await it before starting another')
    }
    this.components.running = true
    try {
      return await this.generateUnguarded(o, family, asked as unknown as CallOptions<O>, image)
    } finally {
      this.components.running = false
    }
  }

  private async generateUnguarded<O extends OutputType>(
    o: CallOptions<O>,
    family: FamilyHooks,
    asked: CallOptions<O>,
    image: ImageRunHooks | undefined
  ): Promise<PipelineOutput<O>> {
    const started = performance.now()
    const snap = o.resumeFrom ?? null
    if (snap !== null && image !== undefined) {
      // The picture's latents, noise and mask live outside the run state a snapshot keeps.
      throw new RunSnapshotError(
        'resumeFrom: image-to-image and inpainting runs cannot be continued; start a new run from the picture'
      )
    }
    // A continued run keeps the scale its guidance has now (a live change included) unless the
    // call asks for another than the run was started with.
    const askedScale =
      snap !== null && asked.guidanceScale !== snap.params.guidanceScale
        ? asked.guidanceScale
        : undefined
    const { callback, loopStart, tensorInputs } = resolveStepEndCallback(
      o.callbackOnStepEnd,
      o.callbackOnStepEndTensorInputs,
      this.callbackTensorInputs
    )
    const d = this.defaults
    // An image run takes its size from the picture (img2img) or the options (inpainting), after
    // checking and preprocessing them; nothing has run yet either way.
    const { height, width } =
      image === undefined
        ? { height: o.height ?? d.height, width: o.width ?? d.width }
        : image.prepareInputs({
            defaults: d,
            vaeScaleFactor: this.vaeScaleFactor,
            sizeMultiple: this.folder.sizeMultiple
          })
    // A continued run of prompt embeddings keeps the snapshot's conditioning: it has no prompt.
    const promptsFromSnapshot =
      snap !== null && (o.prompt ?? null) === null && (o.promptEmbeds ?? null) === null
    family.checkInputs({
      height,
      width,
      tensorInputs,
      promptsFromSnapshot,
      sizeMultiple: this.folder.sizeMultiple
    })
    const resolved = {
      numInferenceSteps: o.numInferenceSteps ?? d.numInferenceSteps,
      guidanceScale:
        snap === null
          ? (o.guidanceScale ?? d.guidanceScale)
          : (askedScale ?? currentGuidanceScale(snap)),
      guidanceRescale: o.guidanceRescale ?? d.guidanceRescale,
      numImagesPerPrompt: o.numImagesPerPrompt ?? 1,
      height,
      width
    }
    checkCallOptions(o, resolved)
    const outputType: OutputType = o.outputType ?? 'image'
    const B = promptsFromSnapshot
      ? (snap as RunSnapshot).batchSize
      : promptBatchSize(o.prompt, o.promptEmbeds) * resolved.numImagesPerPrompt
    if (snap !== null && B !== snap.batchSize) {
      throw new RunSnapshotError(
        `resumeFrom: the snapshot's run makes ${snap.batchSize} image(s) at once, the new prompts ${B}; a branch keeps the number of images`
      )
    }
    checkGenerators(o.generator, B)
    // Before any allocation: a size whose activations cannot fit is refused, not attempted.
    const shape = {
      height,
      width,
      unetRows: B * (resolved.guidanceScale > 1 ? 2 : 1),
      images: outputType === 'image' ? B : 0
    }
    const { tiling, check } = await this.planMemory(shape)
    const { note, refusal } = check
    if (refusal !== null) throw new Error(refusal)

    const identity = await this.modelIdentity()
    if (snap !== null) checkSnapshotModel(snap, identity)
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
    // An inpainting UNet's extra channels (mask, masked-image latents) are not latents.
    const channels = image === undefined ? unetChannels : 4
    const f = this.vaeScaleFactor
    const latentShape = [B, channels, Math.floor(height / f), Math.floor(width / f)]
    const given = snap === null ? o.latents : tensorOf(snap.tensors.latents as never, true)
    if (given !== undefined && given !== null && !sameDims(given.dims, latentShape)) {
      throw new Error(latentsShapeMessage(given.dims, latentShape))
    }

    o.onPhase?.('encoding')
    const encode =
      snap === null ||
      promptsChanged(o, snap) ||
      (!snap.guidance.cfg && snap.guidance.keptAside === null && this.doClassifierFreeGuidance)
    const encoded = encode
      ? await family.encode(models, {
          numImagesPerPrompt: resolved.numImagesPerPrompt,
          doClassifierFreeGuidance: this.doClassifierFreeGuidance,
          height,
          width,
          textFixing: o.textFixing
        })
      : { tensors: conditioningOf(snap), warnings: [] }
    const tensors = encoded.tensors
    let timesteps: readonly number[]
    let numInferenceSteps: number
    let generator: Generator
    let startStep = 0
    let prepared: PreparedImageRun | null = null
    if (snap === null) {
      this.scheduler.setTimesteps(resolved.numInferenceSteps)
      timesteps = [...this.scheduler.timesteps]
      numInferenceSteps = resolved.numInferenceSteps
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
      if (image === undefined) {
        tensors.latents = prepareLatents(
          latentShape,
          o.generator,
          o.latents,
          this.scheduler.initNoiseSigma
        )
      } else {
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
      generator = Array.isArray(o.generator)
        ? (o.generator[0] as Generator)
        : (o.generator ?? getDefaultGenerator())
    } else {
      this.scheduler = restoredScheduler(snap)
      timesteps = snap.timesteps
      numInferenceSteps = snap.numInferenceSteps
      tensors.latents = given as Tensor
      generator = generatorOf(snap)
      restoreSnapshotGuidance(this, snap, tensors, encode, askedScale)
    }
    const condDim = this.timeCondProjDim
    const timestepCond =
      condDim === null ? null : guidanceScaleEmbedding(resolved.guidanceScale, condDim, B)
    this._numTimesteps = timesteps.length
    // Image runs set the begin index in getTimesteps; only text-to-image starts at 0 here.
    if (snap === null && image === undefined) family.beforeLoop?.()
    const params = snapshotParams(o, { ...resolved, eta: o.eta ?? 0 })
    const capture = (step: number): RunSnapshot =>
      captureRunSnapshot(
        {
          identity,
          params,
          timesteps,
          numInferenceSteps,
          batchSize: B,
          scheduler: this.scheduler,
          generator,
          pipeline: this,
          tensors
        },
        step
      )

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
      loopStart,
      startIndex: snap === null ? 0 : snap.step + 1,
      capture,
      unet: models.unet,
      unetConditioning: family.unetConditioning,
      timestepCond,
      generator,
      // diffusers' pipelines default eta to 0.0 and pass it to every step that takes one.
      eta: o.eta ?? 0,
      onStepEnd: o.onStepEnd,
      extraInputChannels: prepared?.extraInputChannels ?? [],
      afterStep: prepared?.afterStep ?? null,
      unetRowsPerCall: check.unetRowsPerCall
    })
    this.setCurrentStep(null)
    const snapshot = loop.stepsRun > 0 && image === undefined ? capture(loop.stepsRun - 1) : null

    const warnings = [
      ...this.standingWarnings(),
      ...(check.mode === 'low-memory' && note !== null ? [note] : []),
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
      if (decoded.tiled && note !== null && check.mode === 'vae-tiles') warnings.push(note)
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
      resumedFromStep: snap === null ? null : snap.step,
      snapshot,
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
   * The low-memory mode: the VAE decodes in tiles (as {@link enableVaeTiling}) and the UNet runs
   * its rows one per call, so with classifier-free guidance the unconditional and the conditional
   * halves are two calls (diffusers runs them as one batch; results are the same within float32
   * rounding, see low-memory-mode.test.ts) and the UNet's working memory is one row's.
   * `'always'` uses it for every call; `'auto'` only when neither the normal mode nor the tiled
   * decode fits the memory limit (`memoryLimitBytes`), and says so in the result's warnings with
   * both estimates and the limit. Off by default, as in diffusers. Each step's `unetCalls` says
   * how many UNet calls it made; `unetBatch` stays the rows computed.
   */
  enableLowMemoryMode(mode: 'always' | 'auto' = 'always'): void {
    this.lowMemory = mode === 'always' ? 'on' : 'auto'
  }

  /** Turns the low-memory mode off: every UNet row in one call (tiling as {@link enableVaeTiling} set it). */
  disableLowMemoryMode(): void {
    this.lowMemory = 'off'
  }

  /**
   * How this run uses memory (whole or tiled decode, UNet rows per call), and the refusal when
   * even the lowest mode allowed cannot fit: checked before anything is allocated
   * (memory-check.ts, `checkRunMemory`).
   */
  private async planMemory(
    shape: RunShape
  ): Promise<{ tiling: VaeTiling | null; check: MemoryCheck }> {
    const tiling = vaeTilingFor(this.folder.vaeConfig)
    this.memoryProfile ??= await readMemoryProfile(this.folder)
    const check = checkRunMemory(this.folder, shape, this.memoryProfile, this.runGraphs(), {
      ...(this.components.memoryLimit === undefined ? {} : { limit: this.components.memoryLimit }),
      vaeTiling: this.vaeTiling,
      lowMemory: this.lowMemory,
      tileSize: tiling.tileSampleMinSize
    })
    return { tiling: check.vaeTileSize === null ? null : tiling, check }
  }

  private runGraphs(): RunGraphs {
    const gpu = this.sessions.providers[0] !== undefined && this.sessions.providers[0] !== 'cpu'
    return expectedRunGraphs(this.memoryProfile ?? { graphs: {} }, {
      gpu,
      fuseAttention: this.components.fuseAttention,
      reports: this.sessions.graphPasses
    })
  }

  /**
   * The memory model's estimate of a run at `shape` (see memory-estimate.ts), from the graph
   * files (read once) and what the graph passes did, or are expected to do before the first load;
   * `vaeTileSize` when the VAE decodes in tiles of that many pixels; `shape.unetRowsPerCall` 1
   * for the low-memory mode's UNet.
   */
  async estimateMemory(shape: RunShape, vaeTileSize?: number): Promise<MemoryEstimate> {
    this.memoryProfile ??= await readMemoryProfile(this.folder)
    return estimateRunMemory(this.folder, shape, this.memoryProfile, {
      ...this.runGraphs(),
      ...(vaeTileSize === undefined ? {} : { vaeTileSize })
    })
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
