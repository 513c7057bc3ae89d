import type { BareLoop, BareLoopPass } from './bare-loop'
import type { RunConfig } from './run-config'
import type { RunSummary } from './run-summary'
import { summarizeRun } from './run-summary'
import { median } from './stats'
import type { AppRunner } from './app-runs'

/** How much to run for items 1–3 at one size. */
export interface EnginePlan {
  width: number
  height: number
  /** num_inference_steps of every measured run (T, with Euler). */
  steps: number
  /** Measured repetitions of each configuration (and of the bare loop). */
  reps: number
  /**
   * Unmeasured runs first, of `warmupSteps` steps with guidance ending half-way, so both UNet
   * batch sizes are seen: onnxruntime plans memory per input shape on its first runs, and
   * arenas and the JIT settle.
   */
  warmups: number
  warmupSteps: number
  /** Unmeasured bare-loop passes (its session is already warm from recording the feeds). */
  bareWarmups: number
  seed: number
}

/** One row of item 3. */
export interface CfgCutoffRow {
  ratio: number
  /** 1 − denoise time with the cutoff / denoise time without (medians over repetitions). */
  measuredSaving: number
  /** n₁ · (t₂ − t₁) / (T · t₂): t₂ and t₁ measured per-step times at UNet batch 2 and 1. */
  predictedSaving: number
  /** measuredSaving / predictedSaving. */
  efficiency: number
}

/** Item 3b: a guidance interval's measured saving against the one its window predicts. */
export interface CfgIntervalRow {
  startRatio: number
  endRatio: number
  measuredSaving: number
  predictedSaving: number
  efficiency: number
}

/** The guidance interval of item 3b (Kynkäänniemi et al.'s kind of window). */
export const INTERVAL = { startRatio: 0.2, endRatio: 0.8 } as const

/** Items 1–3 at one size, with the numbers they come from. */
export interface EngineResult {
  loopOverheadMsPerStep: number
  loopOverheadFraction: number
  rawLoopRatio: number
  cfgCutoff: CfgCutoffRow[]
  cfgInterval: CfgIntervalRow
  details: {
    width: number
    height: number
    steps: number
    reps: number
    /** Median denoising time per step with CFG (batch 2), all callbacks on. */
    stepMsCfg: number
    /** Median denoising time per step without CFG (batch 1). */
    stepMsNoCfg: number
    /** Median UNet `session.run` time per step with CFG. */
    unetMsPerStepCfg: number
    /** Median over steps of (step-to-step wall time − UNet time): the robust per-step figure. */
    medianStepOverheadMs: number
    pipelineStepsPerSecond: number
    bareLoopStepsPerSecond: number
    /** Median per-iteration time of the bare loop. */
    bareLoopIterationMs: number
    /** Median denoising time of each configuration, ms. */
    denoiseMs: Record<string, number>
    /** Steps without guidance in each cutoff run. */
    unguidedSteps: Record<string, number>
    /** Per-run loop overhead (ms/step) of every measured CFG run, in order. */
    overheadMsPerStepRuns: number[]
  }
}

/** The CFG-cutoff ratios of item 3. */
export const CUTOFF_RATIOS = [0.2, 0.4, 0.6] as const

type Variant = 'cfg' | 'nocfg' | 'interval' | `cutoff-${number}`

function configOf(plan: EnginePlan, variant: Variant): RunConfig {
  const base = { width: plan.width, height: plan.height, steps: plan.steps, seed: plan.seed }
  if (variant === 'cfg') return { ...base, guidanceScale: 7.5, cutoffRatio: null }
  if (variant === 'nocfg') return { ...base, guidanceScale: 1, cutoffRatio: null }
  if (variant === 'interval') {
    return { ...base, guidanceScale: 7.5, cutoffRatio: null, interval: INTERVAL }
  }
  return { ...base, guidanceScale: 7.5, cutoffRatio: Number(variant.slice('cutoff-'.length)) }
}

/**
 * Runs items 1–3 at one size. Each repetition runs every configuration once (no cutoff, each
 * cutoff ratio, the guidance interval, no guidance) in a rotated order, and one bare-loop pass right after the no-cutoff
 * run, so slow drifts of a shared machine's load fall on all configurations alike.
 */
export async function runEngineBench(
  runner: AppRunner,
  bare: BareLoop,
  modelDir: string,
  plan: EnginePlan,
  log: (line: string) => void
): Promise<EngineResult> {
  const variants: Variant[] = [
    'cfg',
    ...CUTOFF_RATIOS.map((r): Variant => `cutoff-${r}`),
    'interval',
    'nocfg'
  ]
  log(`  bare loop: recording the UNet feeds of a ${plan.width}×${plan.height} run`)
  await bare.prepare(modelDir, configOf(plan, 'cfg'))
  for (let w = 0; w < plan.warmups; w++) {
    log(`  warm-up ${w + 1}/${plan.warmups}`)
    await runner.run({ ...configOf(plan, 'cfg'), steps: plan.warmupSteps, cutoffRatio: 0.5 })
  }
  for (let w = 0; w < plan.bareWarmups; w++) await bare.run()
  const summaries = new Map<Variant, RunSummary[]>(variants.map((v) => [v, []]))
  const pairs: { pipeline: RunSummary; bare: BareLoopPass }[] = []
  for (let rep = 0; rep < plan.reps; rep++) {
    const order = variants.map((_, i) => variants[(i + rep) % variants.length] as Variant)
    for (const variant of order) {
      const summary = summarizeRun(await runner.run(configOf(plan, variant)))
      summaries.get(variant)?.push(summary)
      if (variant === 'cfg') pairs.push({ pipeline: summary, bare: await bare.run() })
    }
    const last = pairs[pairs.length - 1]
    log(
      `  rep ${rep + 1}/${plan.reps}: step ${last?.pipeline.stepMs.toFixed(2)} ms, overhead ${last?.pipeline.overheadMsPerStep.toFixed(3)} ms/step, bare ${((last?.bare.totalMs ?? 0) / plan.steps).toFixed(2)} ms/step`
    )
  }

  const cfgRuns = summaries.get('cfg') ?? []
  const noCfgRuns = summaries.get('nocfg') ?? []
  const denoise = (v: Variant): number => median((summaries.get(v) ?? []).map((s) => s.denoiseMs))
  const t2 = median(cfgRuns.map((s) => s.stepMs))
  const t1 = median(noCfgRuns.map((s) => s.stepMs))
  const cfgCutoff: CfgCutoffRow[] = CUTOFF_RATIOS.map((ratio) => {
    const runs = summaries.get(`cutoff-${ratio}`) ?? []
    const T = runs[0]?.steps ?? plan.steps
    const unguided = runs[0]?.batch1Steps ?? 0
    const measuredSaving = 1 - denoise(`cutoff-${ratio}`) / denoise('cfg')
    const predictedSaving = (unguided * (t2 - t1)) / (T * t2)
    return { ratio, measuredSaving, predictedSaving, efficiency: measuredSaving / predictedSaving }
  })
  const intervalRuns = summaries.get('interval') ?? []
  const intervalUnguided = intervalRuns[0]?.batch1Steps ?? 0
  const intervalT = intervalRuns[0]?.steps ?? plan.steps
  const intervalMeasured = 1 - denoise('interval') / denoise('cfg')
  const intervalPredicted = (intervalUnguided * (t2 - t1)) / (intervalT * t2)
  const cfgInterval: CfgIntervalRow = {
    ...INTERVAL,
    measuredSaving: intervalMeasured,
    predictedSaving: intervalPredicted,
    efficiency: intervalMeasured / intervalPredicted
  }
  const bareTotal = median(pairs.map((p) => p.bare.totalMs))
  return {
    loopOverheadMsPerStep: median(cfgRuns.map((s) => s.overheadMsPerStep)),
    loopOverheadFraction: median(cfgRuns.map((s) => s.overheadMsPerStep / s.stepMs)),
    // Steps/s of the pipeline over steps/s of the bare loop = bare time / pipeline time, taken
    // per repetition (each pipeline run with the bare pass right after it), then the median.
    rawLoopRatio: median(pairs.map((p) => p.bare.totalMs / p.pipeline.denoiseMs)),
    cfgCutoff,
    cfgInterval,
    details: {
      width: plan.width,
      height: plan.height,
      steps: plan.steps,
      reps: plan.reps,
      stepMsCfg: t2,
      stepMsNoCfg: t1,
      unetMsPerStepCfg: median(cfgRuns.map((s) => s.unetMs / s.steps)),
      medianStepOverheadMs: median(cfgRuns.map((s) => s.medianStepOverheadMs)),
      pipelineStepsPerSecond: (1000 * plan.steps) / median(cfgRuns.map((s) => s.denoiseMs)),
      bareLoopStepsPerSecond: (1000 * plan.steps) / bareTotal,
      bareLoopIterationMs: median(pairs.flatMap((p) => p.bare.iterationMs)),
      denoiseMs: Object.fromEntries(variants.map((v) => [v, denoise(v)])),
      unguidedSteps: Object.fromEntries(
        variants.map((v) => [v, summaries.get(v)?.[0]?.batch1Steps ?? 0])
      ),
      overheadMsPerStepRuns: cfgRuns.map((s) => s.overheadMsPerStep)
    }
  }
}
