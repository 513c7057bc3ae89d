import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { runPython } from './python-reference'

/**
 * The same diffusers loop around a real ONNX UNet (`--unet-onnx`), run by onnxruntime with the
 * app's CPU session settings: the like-for-like reference for our loop around the same graph.
 */
export interface SameUnetReference {
  /** The UNet graph, as the bench passed it (relative to where the bench ran). */
  graph: string
  /** Python's onnxruntime version. */
  onnxruntime: string
  intraOpThreads: number
  /** The prompt embeddings' shape, from the graph (and the model's text encoder). */
  embeddingShape: number[]
  /** Median over runs of (loop wall time − UNet call time) / steps, ms. */
  loopOverheadMsPerStep: number
  /** Median over all steps of the same per step, ms. */
  medianStepOverheadMs: number
  /** Median UNet call (CFG: batch 2), ms, torch↔numpy conversions included. */
  unetMsPerStep: number
  steps: number
  runs: number
}

/** What the bench asks of the same-UNet run. */
export interface SameUnetPlan {
  /** The UNet graph our loop runs around (the model folder's `unet/model.onnx`). */
  graph: string
  /** Steps per run: the bench's 512×512 plan's. */
  steps: number
  /** onnxruntime intra-op threads: the app's default for this machine. */
  intraOpThreads: number
}

/** diffusers' own StableDiffusionPipeline loop with a no-op UNet (bench/python/diffusers_loop.py). */
export interface DiffusersReference {
  python: string
  torch: string
  diffusers: string
  threads: number
  latentSize: number
  steps: number
  runs: number
  /** Whether diffusers' tqdm progress bar was on (its default; the bench keeps it). */
  progressBar: boolean
  /** Median over runs of (loop wall time − UNet call time) / steps, ms. */
  loopOverheadMsPerStep: number
  /** Median over all steps of the same per step, ms. */
  medianStepOverheadMs: number
  /** MiB the UNet call streams through in the cold-cache runs (0: not measured). */
  evictMiB: number
  /** The same loop's overhead when the UNet call streams `evictMiB` first; null when not measured. */
  coldLoopOverheadMsPerStep: number | null
  /**
   * The same loop around the bench's UNet graph, or why not (no onnxruntime in that Python, no
   * graph); null when not asked for.
   */
  sameUnet: SameUnetReference | { skipped: string } | null
}

/** Where the bench takes the Python with diffusers from, without `--diffusers-python`. */
export const DIFFUSERS_PYTHON_ENV = 'STEPWISE_DIFFUSERS_PYTHON'

const SCRIPT = join(__dirname, '..', 'python', 'diffusers_loop.py')

const NUMBERS = [
  'threads',
  'latentSize',
  'steps',
  'runs',
  'loopOverheadMsPerStep',
  'medianStepOverheadMs',
  'evictMiB'
] as const

const SAME_UNET_NUMBERS = [
  'intraOpThreads',
  'loopOverheadMsPerStep',
  'medianStepOverheadMs',
  'unetMsPerStep',
  'steps',
  'runs'
] as const

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

function parseSameUnet(value: unknown): SameUnetReference | null {
  if (value === null) return null
  if (typeof value !== 'object') throw new Error('sameUnet is not an object or null')
  const same = value as Record<string, unknown>
  for (const key of ['graph', 'onnxruntime'] as const) {
    if (typeof same[key] !== 'string') throw new Error(`sameUnet.${key} is not a string`)
  }
  for (const key of SAME_UNET_NUMBERS) {
    if (!isFiniteNumber(same[key])) throw new Error(`sameUnet.${key} is not a number`)
  }
  const shape = same.embeddingShape
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isFiniteNumber)) {
    throw new Error('sameUnet.embeddingShape is not three numbers')
  }
  return same as unknown as SameUnetReference
}

/**
 * Reads the script's one JSON line; throws naming the first field that is missing or not what
 * it should be, so a changed script cannot put a wrong figure in the results.
 */
export function parseDiffusersReference(stdout: string): DiffusersReference {
  const value = JSON.parse(stdout) as Record<string, unknown>
  for (const key of ['python', 'torch', 'diffusers'] as const) {
    if (typeof value[key] !== 'string') throw new Error(`${key} is not a string`)
  }
  for (const key of NUMBERS) {
    if (!isFiniteNumber(value[key])) throw new Error(`${key} is not a number`)
  }
  if (typeof value.progressBar !== 'boolean') throw new Error('progressBar is not a boolean')
  const cold = value.coldLoopOverheadMsPerStep
  if (cold !== null && !isFiniteNumber(cold)) {
    throw new Error('coldLoopOverheadMsPerStep is not a number or null')
  }
  if (!('sameUnet' in value)) throw new Error('sameUnet is missing')
  return { ...(value as unknown as DiffusersReference), sameUnet: parseSameUnet(value.sameUnet) }
}

/**
 * Our loop overhead (`at512.loopOverheadMsPerStep`) ÷ diffusers' loop's around the same UNet:
 * `loopOverheadVsDiffusersSameUnet`. Null when the reference or its same-UNet run was skipped or
 * not asked for.
 */
export function ratioToSameUnet(
  oursMsPerStep: number,
  reference: DiffusersReference | { skipped: string }
): number | null {
  if ('skipped' in reference) return null
  const same = reference.sameUnet
  if (same === null || 'skipped' in same) return null
  return oursMsPerStep / same.loopOverheadMsPerStep
}

/**
 * Runs diffusers' own pipeline loop at 64×64 latents with `python` (the `--diffusers-python`
 * flag or $STEPWISE_DIFFUSERS_PYTHON), around a no-op UNet and, given `sameUnet`, around that
 * UNet graph too; or says why it was skipped: none given, not there, no diffusers or torch in it,
 * or the script failed.
 */
export async function runDiffusersReference(
  runs: number,
  python: string | null,
  sameUnet: SameUnetPlan | null = null
): Promise<DiffusersReference | { skipped: string }> {
  if (python === null) {
    return {
      skipped: `no Python with diffusers given (--diffusers-python PATH or $${DIFFUSERS_PYTHON_ENV})`
    }
  }
  if (python.includes('/') && !existsSync(python)) return { skipped: `${python} does not exist` }
  // torch's OpenMP pool and OpenBLAS otherwise fight over the cores (tools/README.md).
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' }
  const probe = await runPython(python, ['-c', 'import diffusers, torch'], 120_000, env)
  if (probe.code !== 0) {
    const why = probe.err.trim().split('\n').pop() ?? ''
    return { skipped: `${python} cannot import diffusers and torch${why ? ` (${why})` : ''}` }
  }
  const args = [SCRIPT, '--steps', '20', '--runs', String(runs)]
  const sameUnetSkipped = sameUnet === null ? null : await whyNoSameUnet(python, sameUnet, env)
  if (sameUnet !== null && sameUnetSkipped === null) {
    // Relative, so that saved results name the model's graph and not this checkout's place.
    args.push('--unet-onnx', relative(process.cwd(), sameUnet.graph))
    args.push('--unet-steps', String(sameUnet.steps))
    args.push('--unet-threads', String(sameUnet.intraOpThreads))
  }
  // The same-UNet runs take about 30 s after their warm-ups and session (diffusers_loop.py).
  const timeoutMs = args.includes('--unet-onnx') ? 480_000 : 300_000
  const result = await runPython(python, args, timeoutMs, env)
  if (result.code !== 0) {
    return { skipped: `diffusers' loop failed: ${result.err.trim().split('\n').pop() ?? ''}` }
  }
  try {
    const reference = parseDiffusersReference(result.out)
    return sameUnetSkipped === null
      ? reference
      : { ...reference, sameUnet: { skipped: sameUnetSkipped } }
  } catch (error) {
    return { skipped: `diffusers' loop printed an unexpected result: ${(error as Error).message}` }
  }
}

/** Why the same-UNet run cannot be made with `python`, or null when it can. */
async function whyNoSameUnet(
  python: string,
  plan: SameUnetPlan,
  env: NodeJS.ProcessEnv
): Promise<string | null> {
  if (!existsSync(plan.graph)) return `${plan.graph} does not exist`
  const probe = await runPython(python, ['-c', 'import onnxruntime'], 120_000, env)
  if (probe.code === 0) return null
  return `${python} cannot import onnxruntime`
}
