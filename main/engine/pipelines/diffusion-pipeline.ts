import { performance } from 'node:perf_hooks'
import type { Tensor } from 'onnxruntime-node'
import type { KeptAsideGuidance, PipelineRunState, StepState } from '../callbacks/callback-types'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { captureRunSnapshot } from '../snapshots/capture'
import {
  checkSnapshotModel,
  promptsChanged,
  resumeOptions,
  snapshotParams,
  tensorOf
} from '../snapshots/resume'
import type { RunSnapshot } from '../snapshots/run-snapshot'
import { sameDims } from '../tensor/float-tensor'
import { checkUnetChannels, needsEncoder, resolveCallInputs } from './call-inputs'
import { decodeOutput } from './decode-output'
import { runDenoisingLoop, type LoopHost } from './denoising-loop'
import type { FamilyHooks } from './family-hooks'
import type { ImageRunHooks } from './image-run-types'
import { latentsShapeMessage } from './generation-helpers'
import { guidanceScaleEmbedding } from './guidance'
import type { LoadedModels } from './loaded-models'
import type { MemoryEstimate, RunShape } from './memory-estimate'
import { MemoryModes } from './memory-modes'
import { ModelPipeline } from './model-pipeline'
import type { CallOptions, OutputImages, OutputType, PipelineOutput } from './pipeline-types'
import { pastEndWarnings } from './resolve-callback'
import { conditioningOf } from './resumed-run'
import { startRun } from './run-start'
import { vaeTilingFor, type VaeTiling } from './vae-tiling'

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
  /** VAE tiling and the low-memory mode, as the enable/disable methods below set them. */
  private readonly memoryModes = new MemoryModes()

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
    const {
      askedScale,
      callback,
      loopStart,
      tensorInputs,
      resolved,
      outputType,
      batchSize,
      shape
    } = resolveCallInputs(o, asked, {
      family,
      image,
      defaults: this.defaults,
      vaeScaleFactor: this.vaeScaleFactor,
      sizeMultiple: this.folder.sizeMultiple,
      callbackTensorInputs: this.callbackTensorInputs
    })
    const { height, width } = resolved
    const B = batchSize
    // Before any allocation: a size whose activations cannot fit is refused, not attempted.
    const { tiling, check } = await this.memoryModes.plan(this.components, shape)
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
    const { timesteps, numInferenceSteps, generator, startStep, prepared } = await startRun(this, {
      o,
      snap,
      family,
      image,
      numInferenceSteps: resolved.numInferenceSteps,
      tensors,
      latentShape,
      given,
      models,
      batchSize: B,
      unetChannels,
      encoded: encode,
      askedScale
    })
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
      const decoded = await decodeOutput(
        models.vae as NonNullable<LoadedModels['vae']>,
        this.folder.vaeConfig,
        tensors.latents as Tensor,
        tiling,
        check
      )
      warnings.push(...decoded.warnings)
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
    this.memoryModes.vaeTiling = mode === 'always' ? 'on' : 'auto'
  }

  /** diffusers' `disable_vae_tiling()`: always decode whole (a size that does not fit is refused). */
  disableVaeTiling(): void {
    this.memoryModes.vaeTiling = 'off'
  }

  /**
   * `decodeLatents` outside a call tiles as diffusers' `vae.decode` does after
   * `enable_vae_tiling()`: when tiling, or the low-memory mode, is on for every call
   * (`'always'`). In `'auto'` it decodes whole: that choice is made per call, from the run's size.
   */
  protected override decodeTiling(): VaeTiling | null {
    const always = this.memoryModes.vaeTiling === 'on' || this.memoryModes.lowMemory === 'on'
    return always ? vaeTilingFor(this.folder.vaeConfig) : null
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
    this.memoryModes.lowMemory = mode === 'always' ? 'on' : 'auto'
  }

  /** Turns the low-memory mode off: every UNet row in one call (tiling as {@link enableVaeTiling} set it). */
  disableLowMemoryMode(): void {
    this.memoryModes.lowMemory = 'off'
  }

  /**
   * The memory model's estimate of a run at `shape` (see memory-estimate.ts), from the graph
   * files (read once) and what the graph passes did, or are expected to do before the first load;
   * `vaeTileSize` when the VAE decodes in tiles of that many pixels; `shape.unetRowsPerCall` 1
   * for the low-memory mode's UNet.
   */
  async estimateMemory(shape: RunShape, vaeTileSize?: number): Promise<MemoryEstimate> {
    return this.memoryModes.estimate(this.components, shape, vaeTileSize)
  }
}
