import type { GenerateParamsInput, JobDoneEvent, StepwiseEvent } from '../../shared/contract'
import type { ApiSocket } from './api-socket'
import type { RunConfig } from './run-config'
import { BENCH_PROMPT, BENCH_SCHEDULER } from './run-config'

/** What the inference process reported about one step (the preview's pixels are dropped). */
export interface StepSample {
  index: number
  /** The step's own wall time as the loop measures it (UNet, guidance, scheduler, callbacks). */
  ms: number
  /** Time inside the UNet's `session.run`. */
  unetMs: number
  unetBatch: number
  cfg: boolean
  /** When the step ended in the inference process (epoch ms, sub-ms precision). */
  endedAt: number
}

/** One finished generation as the benchmark sees it. */
export interface RunRecord {
  config: RunConfig
  steps: StepSample[]
  /** The engine's own total (encode, denoise, decode). */
  totalMs: number
}

/** The API parameters of a run: the app's own callbacks, linear previews every step, on CPU. */
export function paramsFor(modelId: string, config: RunConfig): GenerateParamsInput {
  return {
    modelId,
    prompt: BENCH_PROMPT,
    negativePrompt: '',
    numInferenceSteps: config.steps,
    guidanceScale: config.guidanceScale,
    width: config.width,
    height: config.height,
    seed: config.seed,
    scheduler: BENCH_SCHEDULER,
    cfgCutoff: config.cutoffRatio === null ? null : { ratio: config.cutoffRatio },
    cfgInterval: config.interval ?? null,
    previewEvery: 1,
    // Items 1–7 keep the latent-resolution previews they were first recorded with; what the other
    // methods cost is measured on its own (preview-methods-bench.ts).
    previewMethod: 'linear',
    provider: 'cpu'
  }
}

/**
 * Runs generations through the browser-mode server's API, as the page would, and collects every
 * step report: the app's own job queue, inference process and callbacks, start to end. Step
 * metadata always reaches every client (only previews are latest-wins), so nothing is missed.
 */
export class AppRunner {
  constructor(
    private readonly socket: ApiSocket,
    private readonly modelId: string
  ) {}

  /** Runs one generation to the end and returns its step reports. */
  async run(config: RunConfig): Promise<RunRecord> {
    const steps: StepSample[] = []
    const events: StepwiseEvent[] = []
    let jobId: string | null = null
    let finish: (done: JobDoneEvent | string) => void = () => undefined
    const finished = new Promise<JobDoneEvent | string>((resolve) => (finish = resolve))
    const handle = (event: StepwiseEvent): void => {
      if (!('jobId' in event) || event.jobId !== jobId) return
      if (event.type === 'job:step') {
        const { index, ms, unetMs, unetBatch, cfg, endedAt } = event
        steps.push({ index, ms, unetMs, unetBatch, cfg, endedAt })
      } else if (event.type === 'job:done') {
        finish(event)
      } else if (
        event.type === 'job:state' &&
        (event.state === 'failed' || event.state === 'cancelled')
      ) {
        finish(`job ${event.state}: ${event.message ?? 'no message'}`)
      }
    }
    // Events can arrive before the reply that names the job: keep them until it is known.
    const unsubscribe = this.socket.onEvent((event) => {
      if (jobId === null) events.push(event)
      else handle(event)
    })
    try {
      const ticket = await this.socket.call<{ jobId: string }>(
        'generate',
        paramsFor(this.modelId, config)
      )
      jobId = ticket.jobId
      for (const event of events.splice(0)) handle(event)
      const done = await finished
      if (typeof done === 'string') throw new Error(done)
      return { config, steps, totalMs: done.result.totalMs }
    } finally {
      unsubscribe()
    }
  }
}
