import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { Tensor } from 'onnxruntime-node'
import type { CallbackKwargs, PipelineRunState, StepState } from '../callbacks/callback-types'
import type { OnnxModel } from '../models/onnx-model'
import type { UnetIo } from '../models/unet-io'
import type { Generator } from '../random/generator'
import type { Scheduler } from '../schedulers'
import type { RunSnapshot } from '../snapshots/run-snapshot'
import { formatDims, isTensor, sameDims } from '../tensor/float-tensor'
import { runBatched } from './batched-run'
import { guidedSchedulerStep } from './guidance'
import { withExtraChannels } from './image-channels'
import { LoopBuffers } from './loop-buffers'
import type { StepEndInfo, StepRecord } from './pipeline-types'

/** The named tensors of the loop: `latents` plus the pipeline's conditioning, diffusers' names. */
export type LoopTensors = Record<string, Tensor | null>

/** The pipeline as the loop drives it. */
export interface LoopHost extends PipelineRunState {
  /** Publishes the step that just ran to callbacks (`pipeline.currentStep`). */
  setCurrentStep(step: StepState | null): void
}

/** A step-end callback normalised to one async function. */
export type ResolvedCallback = (
  pipeline: PipelineRunState,
  stepIndex: number,
  timestep: number,
  callbackKwargs: CallbackKwargs
) => Promise<unknown>

/** Everything one run of the loop needs. */
export interface LoopArgs {
  host: LoopHost
  scheduler: Scheduler
  timesteps: readonly number[]
  /** N, for diffusers' progress rule. */
  numInferenceSteps: number
  batchSize: number
  /** Mutable: the loop updates `latents` and writes back what callbacks return. */
  tensors: LoopTensors
  /** Names a callback may replace (the pipeline's `_callback_tensor_inputs`). */
  writeBack: readonly string[]
  /** Names passed to the callback. */
  tensorInputs: readonly string[]
  callback: ResolvedCallback | null
  /** Runs before the first step (the callbacks' `onLoopStart`), or null. */
  loopStart: ResolvedCallback | null
  /** The first step index: 0, or the step after a snapshot's when a run continues. */
  startIndex: number
  /** Takes the run's snapshot at the end of a step. */
  capture: (stepIndex: number) => RunSnapshot
  unet: { model: OnnxModel; io: UnetIo }
  /** Conditioning feeds of the UNet for the current tensors (`encoder_hidden_states`, …). */
  unetConditioning: (tensors: LoopTensors) => Record<string, Tensor>
  timestepCond: Tensor | null
  generator: Generator | undefined
  eta: number | undefined
  onStepEnd: ((info: StepEndInfo) => void | Promise<void>) | undefined
  /**
   * Inpainting UNets: loop tensors appended to the scaled latents along the channel axis
   * (`mask`, `masked_image_latents`). Empty for other runs.
   */
  extraInputChannels?: readonly string[]
  /** Runs right after the scheduler step, before the callbacks (4-channel inpainting's blending). */
  afterStep?: ((stepIndex: number, tensors: LoopTensors, cfg: boolean) => void) | null
  /**
   * The low-memory mode: the UNet runs at most this many rows per call (1: with CFG the
   * unconditional rows, then the conditional ones), the outputs concatenated as the batched
   * call's. Null: all rows in one call.
   */
  unetRowsPerCall?: number | null
}

/** What the loop did. */
export interface LoopResult {
  /** Steps of the run done: the last index that ran + 1 (a continued run's earlier ones count). */
  stepsRun: number
  steps: StepRecord[]
  unetMs: number
  /** Distinct fixed-batch fallback notes (empty when the UNet took every batch as is). */
  fallbacks: string[]
}

/** Names whose value a callback may set to null (diffusers' SD `negative_prompt_embeds`). */
const NULLABLE = new Set(['negative_prompt_embeds'])

/**
 * diffusers' denoising loop (the `for i, t in enumerate(timesteps)` of its `__call__`). Per
 * step: skip if interrupted (`continue` semantics); read the CFG flag and guidance scale afresh; run the UNet on `[latents, latents]` (2B rows) with
 * CFG or on the latents alone (B rows) without (an inpainting UNet with the mask and masked-image
 * latents appended along channels); guide and optionally rescale; scheduler step; 4-channel
 * inpainting's blending of the known region; then the callback with the requested tensors, whose returned tensors are written back. Before each
 * step the loop yields to the event loop, so a stop or cutoff message that arrived meanwhile is
 * applied at the step boundary.
 */
export async function runDenoisingLoop(args: LoopArgs): Promise<LoopResult> {
  const { host, scheduler, timesteps, tensors, unet } = args
  const T = timesteps.length
  const warmup = T - args.numInferenceSteps * scheduler.order
  const steps: StepRecord[] = []
  const fallbacks = new Set<string>()
  let unetMs = 0
  let progress = 0
  const advances = (i: number): boolean =>
    i === T - 1 || (i + 1 > warmup && (i + 1) % scheduler.order === 0)
  for (let i = 0; i < args.startIndex; i++) if (advances(i)) progress++
  let lastIndex = args.startIndex - 1
  const buffers = new LoopBuffers()
  if (args.loopStart !== null && args.startIndex < T && !host.interrupt) {
    await runCallback(args, args.loopStart, args.startIndex, timesteps[args.startIndex] as number)
  }
  for (let i = args.startIndex; i < T; i++) {
    await yieldToEventLoop()
    if (host.interrupt) continue
    const t = timesteps[i] as number
    const start = performance.now()
    const cfg = host.doClassifierFreeGuidance
    const guidanceScale = host.guidanceScale
    const latents = tensors.latents as Tensor
    const scaled = scheduler.scaleModelInput(latents, t)
    const modelInput = cfg ? buffers.doubledBatch(scaled) : scaled
    const feeds: Record<string, Tensor> = {
      sample: withExtraChannels(modelInput, tensors, args.extraInputChannels ?? []),
      timestep: new Tensor('float32', Float32Array.of(t), []),
      ...args.unetConditioning(tensors)
    }
    if (args.timestepCond !== null) feeds.timestep_cond = args.timestepCond
    const run = await runBatched(
      unet.model,
      feeds,
      unet.io.batchInputs,
      unet.io.fixedBatch,
      [unet.io.output],
      args.unetRowsPerCall ?? null
    )
    unetMs += run.ms
    if (run.fallback !== null) fallbacks.add(run.fallback)
    // The UNet's output is this step's own, fresh from session.run: it may be guided in place.
    const out = guidedSchedulerStep(
      scheduler,
      run.outputs[unet.io.output] as Tensor,
      t,
      latents,
      { cfg, guidanceScale, guidanceRescale: host.guidanceRescale },
      { generator: args.generator, eta: args.eta }
    )
    tensors.latents = out.prevSample
    args.afterStep?.(i, tensors, cfg)
    const predOriginalSample = out.predOriginalSample ?? out.denoised ?? null
    const record: StepRecord = {
      index: i,
      timestep: t,
      ms: 0,
      unetMs: run.ms,
      unetBatch: run.rowsComputed,
      unetCalls: run.calls,
      cfg,
      guidanceScale
    }
    host.setCurrentStep({
      stepIndex: i,
      timestep: t,
      batchSize: args.batchSize,
      cfg,
      guidanceScale,
      unetBatch: run.rowsComputed,
      unetMs: run.ms,
      predOriginalSample
    })
    if (args.callback !== null) await runCallback(args, args.callback, i, t)
    if (advances(i)) progress++
    record.ms = performance.now() - start
    steps.push(record)
    lastIndex = i
    if (args.onStepEnd !== undefined) {
      await args.onStepEnd({
        ...record,
        numTimesteps: T,
        latents: tensors.latents as Tensor,
        predOriginalSample,
        progress: { value: progress, total: args.numInferenceSteps },
        snapshot: () => args.capture(i)
      })
    }
  }
  return { stepsRun: lastIndex + 1, steps, unetMs, fallbacks: [...fallbacks] }
}

async function runCallback(
  args: LoopArgs,
  callback: ResolvedCallback,
  i: number,
  t: number
): Promise<void> {
  const kwargs: CallbackKwargs = {}
  for (const name of args.tensorInputs) kwargs[name] = args.tensors[name] ?? null
  const result = await callback(args.host, i, t, kwargs)
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new TypeError(
      `callbackOnStepEnd must return the callbackKwargs object, but at step ${i} it returned ${describe(result)}`
    )
  }
  const returned = result as Record<string, unknown>
  for (const name of args.writeBack) {
    if (!Object.prototype.hasOwnProperty.call(returned, name)) continue
    const value = returned[name]
    if (value === null && NULLABLE.has(name)) {
      args.tensors[name] = null
    } else if (isTensor(value) && value.type === 'float32') {
      // The latents' shape is the run's: the scheduler's state, the reported size and the decoded
      // image all follow it. Conditioning tensors may change (a CFG cutoff halves their batch).
      const current = args.tensors.latents as Tensor
      if (name === 'latents' && !sameDims(value.dims, current.dims)) {
        throw new Error(
          `callbackOnStepEnd returned callbackKwargs.latents of shape ${formatDims(value.dims)} at step ${i}, but the run's latents are ${formatDims(current.dims)}; a callback may change the latents' values, not their shape`
        )
      }
      args.tensors[name] = value
    } else {
      throw new TypeError(
        `callbackOnStepEnd returned callbackKwargs.${name} at step ${i} that is not a float32 Tensor (got ${describe(value)})`
      )
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  if (isTensor(value)) return `a ${value.type} Tensor of shape ${formatDims(value.dims)}`
  return `a ${typeof value}`
}
