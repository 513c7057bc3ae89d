import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The command line of `npm run bench -- --real-scale` (see real-scale.ts). */

/** Where the generator puts the torch 1.13 fp32 export by default. */
export const DEFAULT_FULL_SIZE_MODEL = '/tmp/stepwise-full-size/sd15-fp32-torch1'

export const HOW_TO_BUILD = `Build one (about 20 minutes, 11 GB of disk, up to 10.4 GiB of memory):
  /work/pyenv/bin/python tools/make_full_size_models.py --out /tmp/stepwise-full-size
(see tools/README.md for the Python environment), then pass --model DIR or set
STEPWISE_FULL_SIZE_MODEL=DIR.`

export interface RealScaleOptions {
  modelDir: string
  sizes: number[]
  capGiB: number
  /** UNet runs per configuration (the first includes onnxruntime's first-run planning). */
  runs: number
  /** Time UNet runs per configuration. */
  unet: boolean
  /** Also make whole generations at each size (2 steps up to 512², 1 step above). */
  pipeline: boolean
  /** Which attention variants and memory-pattern settings to measure. */
  attention: ('fused' | 'exported')[]
  memoryPattern: boolean[]
  /** Whether the UNet's session keeps onnxruntime's CPU arena, per generation (default: on). */
  unetArena: boolean[]
  /** Steps of each generation (default: 2 up to 512², 1 above). */
  steps: number | undefined
  /** Pair each generation's UNet runs with bare ones (`--no-pairs`: memory figures only). */
  pairs?: boolean
  /** UNet batch of the whole generations: 2 is classifier-free guidance, 1 is guidance off. */
  batches: (1 | 2)[]
  threads: number | undefined
  json: boolean
  save: boolean
  out: string | null
}

export const REAL_SCALE_USAGE = `Usage: npm run bench -- --real-scale [--model DIR] [--sizes 512,768] [--cap-gib 12]
                                     [--runs 3] [--no-unet | --no-pipeline] [--attention fused|exported]
                                     [--memory-pattern on|off] [--unet-arena on,off]
                                     [--steps N] [--no-pairs] [--batches 1,2] [--threads N]
                                     [--json] [--out FILE] [--no-save]

Time and peak RSS per UNet run of a full-size SD 1.5 export, attention fused vs as exported,
memory pattern off and on, and whole CLI-like generations. Results: bench/results/*-real-scale.json.

  --model DIR    the export (default: $STEPWISE_FULL_SIZE_MODEL, else ${DEFAULT_FULL_SIZE_MODEL})
  --sizes LIST   image sizes (square), default 512,768
  --cap-gib N    memory cap per measurement process, default 12 (a process over it is killed)
  --runs N       UNet runs per configuration, default 3
  --no-unet      skip the UNet-only runs
  --no-pipeline  skip the whole-generation runs
  --attention V  only this variant (default both)
  --memory-pattern on|off  only this setting (default both)
  --unet-arena LIST  the UNet session's CPU arena in the generations: on (default), off, or on,off
  --steps N      steps per generation (default 2 up to 512², 1 above); each step's UNet run is
                 paired with a bare session.run, alternating which runs first
  --no-pairs     no bare runs in the generations (their memory figures in half the time)
  --batches LIST UNet batch of the generations: 2 (guidance 7.5, the default), 1 (guidance off)
  --threads N    intra-op threads (default: the engine's)

${HOW_TO_BUILD}`

/** Parses the arguments after `--real-scale`; throws with a message naming the problem. */
export function parseRealScaleArgs(argv: readonly string[]): RealScaleOptions | 'help' {
  const o: RealScaleOptions = {
    modelDir: process.env.STEPWISE_FULL_SIZE_MODEL ?? DEFAULT_FULL_SIZE_MODEL,
    sizes: [512, 768],
    capGiB: 12,
    runs: 3,
    unet: true,
    pipeline: true,
    attention: ['fused', 'exported'],
    memoryPattern: [false, true],
    unetArena: [true],
    steps: undefined,
    batches: [2],
    threads: undefined,
    json: false,
    save: true,
    out: null
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`)
      return next
    }
    const positive = (text: string): number => {
      const n = Number(text)
      if (!Number.isFinite(n) || n <= 0)
        throw new Error(`${arg} needs a positive number, got ${text}`)
      return n
    }
    switch (arg) {
      case '--real-scale':
        break
      case '--help':
      case '-h':
        return 'help'
      case '--model':
        o.modelDir = resolve(value())
        break
      case '--sizes':
        o.sizes = value()
          .split(',')
          .map((s) => {
            const n = positive(s)
            if (n % 64 !== 0) throw new Error(`--sizes: ${s} is not a multiple of 64`)
            return n
          })
        break
      case '--cap-gib':
        o.capGiB = positive(value())
        break
      case '--runs':
        o.runs = Math.round(positive(value()))
        break
      case '--threads':
        o.threads = Math.round(positive(value()))
        break
      case '--no-pipeline':
        o.pipeline = false
        break
      case '--no-unet':
        o.unet = false
        break
      case '--attention': {
        const v = value()
        if (v !== 'fused' && v !== 'exported') {
          throw new Error(`--attention: ${v} is not fused or exported`)
        }
        o.attention = [v]
        break
      }
      case '--memory-pattern': {
        const v = value()
        if (v !== 'on' && v !== 'off') throw new Error(`--memory-pattern: ${v} is not on or off`)
        o.memoryPattern = [v === 'on']
        break
      }
      case '--unet-arena':
        o.unetArena = value()
          .split(',')
          .map((v) => {
            if (v !== 'on' && v !== 'off') throw new Error(`--unet-arena: ${v} is not on or off`)
            return v === 'on'
          })
        break
      case '--no-pairs':
        o.pairs = false
        break
      case '--steps':
        o.steps = Math.round(positive(value()))
        break
      case '--batches':
        o.batches = value()
          .split(',')
          .map((b) => {
            if (b !== '1' && b !== '2') throw new Error(`--batches: ${b} is not 1 or 2`)
            return b === '1' ? 1 : 2
          })
        break
      case '--json':
        o.json = true
        break
      case '--out':
        o.out = resolve(value())
        break
      case '--no-save':
        o.save = false
        break
      default:
        throw new Error(`unknown option ${arg} for --real-scale (see --real-scale --help)`)
    }
  }
  if (!existsSync(join(o.modelDir, 'model_index.json'))) {
    throw new Error(`no full-size export at ${o.modelDir} (no model_index.json).\n${HOW_TO_BUILD}`)
  }
  return o
}
