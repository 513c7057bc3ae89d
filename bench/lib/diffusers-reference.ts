import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runPython } from './python-reference'

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
    const v = value[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${key} is not a number`)
  }
  if (typeof value.progressBar !== 'boolean') throw new Error('progressBar is not a boolean')
  const cold = value.coldLoopOverheadMsPerStep
  if (cold !== null && (typeof cold !== 'number' || !Number.isFinite(cold))) {
    throw new Error('coldLoopOverheadMsPerStep is not a number or null')
  }
  return value as unknown as DiffusersReference
}

/**
 * Runs diffusers' own pipeline loop at 64×64 latents with `python` (the `--diffusers-python`
 * flag or $STEPWISE_DIFFUSERS_PYTHON), or says why it was skipped: none given, not there, no
 * diffusers or torch in it, or the script failed.
 */
export async function runDiffusersReference(
  runs: number,
  python: string | null
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
  const result = await runPython(
    python,
    [SCRIPT, '--steps', '20', '--runs', String(runs)],
    300_000,
    env
  )
  if (result.code !== 0) {
    return { skipped: `diffusers' loop failed: ${result.err.trim().split('\n').pop() ?? ''}` }
  }
  try {
    return parseDiffusersReference(result.out)
  } catch (error) {
    return { skipped: `diffusers' loop printed an unexpected result: ${(error as Error).message}` }
  }
}
