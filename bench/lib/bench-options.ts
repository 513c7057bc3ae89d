import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { BrowserPlan } from './browser-bench'
import type { EnginePlan } from './engine-bench'

/** How thoroughly to measure: `full` is the recorded run, `quick` a check, `smoke` the test's. */
export type BenchMode = 'full' | 'quick' | 'smoke'

/** What `npm run bench -- …` asked for. */
export interface BenchOptions {
  mode: BenchMode
  /** Print one JSON object on stdout and nothing else. */
  json: boolean
  modelDir: string
  /** Also write the JSON here. */
  out: string | null
  /** Save the run under bench/results/ (default: full runs only). */
  save: boolean
  /** Only the preview methods' cost and latency (bench/lib/preview-methods-bench.ts). */
  previewsOnly: boolean
  /**
   * The Python with diffusers and torch for diffusers' own loop (full runs): `--diffusers-python`,
   * else $STEPWISE_DIFFUSERS_PYTHON; null: that reference is skipped.
   */
  diffusersPython: string | null
}

const ROOT = join(__dirname, '..', '..')

/** The shipped default model, and the fixture used while it is not there. */
export const SHIPPED_MODEL = join(ROOT, 'resources/models/stepwise-shapes-64')
export const FALLBACK_MODEL = join(ROOT, 'fixtures/models/tiny-sd-random')

/** The model used without --model: the shipped one when it is present. */
export function defaultModelDir(): string {
  return existsSync(join(SHIPPED_MODEL, 'model_index.json')) ? SHIPPED_MODEL : FALLBACK_MODEL
}

export const BENCH_USAGE = `Usage: npm run bench -- [--quick | --smoke] [--json] [--model DIR] [--out FILE] [--no-save]
                     [--diffusers-python PATH]

Measures what watching and steering the denoising costs (bench/README.md):
loop overhead, raw-loop ratio, CFG-cutoff savings, preview latency, stop latency,
main-process event-loop lag and memory growth, at the model's native size and at 512x512.

  --quick        a check in well under a minute (few steps and repetitions; not saved)
  --smoke        the smallest run that still measures every item (the test suite's)
  --json         print one JSON object on stdout and nothing else (progress goes to stderr)
  --model DIR    the model folder (default: resources/models/stepwise-shapes-64, or
                 fixtures/models/tiny-sd-random while the shipped model is absent)
  --out FILE     also write the JSON to FILE
  --no-save      do not save a full run under bench/results/
  --diffusers-python PATH  a Python with diffusers and torch, for diffusers' own pipeline loop
                 as a second reference (full runs; default: $STEPWISE_DIFFUSERS_PYTHON); with
                 onnxruntime in it, also around the model's UNet graph, like ours
  --previews-only  only what each preview method (linear, tiny, vae) costs per step and its
                 preview latency, at both sizes (saved as bench/results/<…>-previews.json)

  --real-scale   the full-size measurements instead (a full-size SD 1.5 export: UNet time and
                 peak RSS, attention fused vs as exported); see --real-scale --help`

/** Parses the command line; throws with a message naming the problem. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  let mode: BenchMode = 'full'
  let json = false
  let modelDir: string | null = null
  let out: string | null = null
  let save: boolean | null = null
  let previewsOnly = false
  let diffusersPython: string | null = process.env.STEPWISE_DIFFUSERS_PYTHON || null
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`)
      return next
    }
    switch (arg) {
      case '--help':
      case '-h':
        return 'help'
      case '--quick':
        mode = 'quick'
        break
      case '--smoke':
        mode = 'smoke'
        break
      case '--json':
        json = true
        break
      case '--model':
        modelDir = resolve(value())
        break
      case '--out':
        out = resolve(value())
        break
      case '--no-save':
        save = false
        break
      case '--diffusers-python': {
        // A bare name (python3) is looked up on PATH when it runs; a path must be there.
        const given = value()
        diffusersPython = given.includes('/') ? resolve(given) : given
        if (given.includes('/') && !existsSync(diffusersPython)) {
          throw new Error(`--diffusers-python: ${diffusersPython} does not exist`)
        }
        break
      }
      case '--previews-only':
        previewsOnly = true
        break
      default:
        throw new Error(`unknown option ${arg} (see --help)`)
    }
  }
  const dir = modelDir ?? defaultModelDir()
  if (!existsSync(join(dir, 'model_index.json'))) {
    throw new Error(`${dir} is not a diffusers model folder (no model_index.json)`)
  }
  return {
    mode,
    json,
    modelDir: dir,
    out,
    save: save ?? mode === 'full',
    previewsOnly,
    diffusersPython
  }
}

/** Everything one mode runs at one size. */
export interface SizePlan {
  engine: Omit<EnginePlan, 'width' | 'height' | 'seed'>
  browser: Omit<BrowserPlan, 'width' | 'height' | 'seed'>
}

/**
 * Per mode: the plans at the native size and at 512×512, and the runs of each Python reference
 * (the lower bound and diffusers' own loop: `pythonRuns` for both).
 */
export const PLANS: Record<
  BenchMode,
  { native: SizePlan; at512: SizePlan; pythonRuns: number | null; snapshotSteps: number }
> = {
  full: {
    native: {
      engine: { steps: 20, reps: 15, warmups: 2, warmupSteps: 20, bareWarmups: 2 },
      browser: {
        previewSteps: 20,
        previewRuns: 10,
        stopSteps: 500,
        stopAfterSteps: 5,
        stopRuns: 7,
        memoryGenerations: 20,
        memorySteps: 10
      }
    },
    at512: {
      // Seven repetitions: a 512² run's loop overhead moves by ±40 % from run to run on a shared
      // 2-core machine (0.70–1.28 ms in three runs), so its median needs more than three.
      engine: { steps: 10, reps: 7, warmups: 1, warmupSteps: 4, bareWarmups: 1 },
      browser: {
        previewSteps: 10,
        previewRuns: 3,
        stopSteps: 60,
        stopAfterSteps: 2,
        stopRuns: 5,
        memoryGenerations: 20,
        memorySteps: 3
      }
    },
    pythonRuns: 30,
    snapshotSteps: 10
  },
  quick: {
    native: {
      engine: { steps: 10, reps: 3, warmups: 1, warmupSteps: 4, bareWarmups: 1 },
      browser: {
        previewSteps: 10,
        previewRuns: 2,
        stopSteps: 500,
        stopAfterSteps: 5,
        stopRuns: 1,
        memoryGenerations: 2,
        memorySteps: 5
      }
    },
    at512: {
      engine: { steps: 4, reps: 1, warmups: 1, warmupSteps: 2, bareWarmups: 0 },
      browser: {
        previewSteps: 3,
        previewRuns: 1,
        stopSteps: 30,
        stopAfterSteps: 1,
        stopRuns: 1,
        memoryGenerations: 2,
        memorySteps: 1
      }
    },
    pythonRuns: null,
    snapshotSteps: 4
  },
  smoke: {
    native: {
      engine: { steps: 5, reps: 1, warmups: 1, warmupSteps: 2, bareWarmups: 0 },
      browser: {
        previewSteps: 5,
        previewRuns: 1,
        stopSteps: 500,
        stopAfterSteps: 2,
        stopRuns: 1,
        memoryGenerations: 2,
        memorySteps: 2
      }
    },
    at512: {
      engine: { steps: 3, reps: 1, warmups: 0, warmupSteps: 2, bareWarmups: 0 },
      browser: {
        previewSteps: 2,
        previewRuns: 1,
        stopSteps: 30,
        stopAfterSteps: 1,
        stopRuns: 1,
        memoryGenerations: 2,
        memorySteps: 1
      }
    },
    pythonRuns: null,
    snapshotSteps: 2
  }
}
