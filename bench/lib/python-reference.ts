import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** The Python/PyTorch reference loop's result (bench/python/reference_loop.py). */
export interface PythonReference {
  python: string
  torch: string
  threads: number
  latentSize: number
  steps: number
  runs: number
  /** Median over runs of (loop wall time − model call time) / steps, ms. */
  loopOverheadMsPerStep: number
  /** Median over all steps of the same per step, ms. */
  medianStepOverheadMs: number
  /** MiB the model call streams through in the cold-cache runs (0: not measured). */
  evictMiB?: number
  /**
   * The same loop's overhead when its model call streams through `evictMiB` of memory first, as
   * a real UNet does between two steps: the loop's arithmetic then starts from cold caches, as
   * ours does after a real `session.run`. Null when not measured.
   */
  coldLoopOverheadMsPerStep?: number | null
}

/** Debian's Python, which has torch 1.13 here (the `python3` on PATH has none). */
export const REFERENCE_PYTHON = '/usr/bin/python3'

const SCRIPT = join(__dirname, '..', 'python', 'reference_loop.py')

/**
 * Runs `python` with `args`; never throws: a failure comes back as a non-zero code with stderr.
 * Used by both Python references (this one and diffusers-reference.ts).
 */
export function runPython(
  python: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      // diffusers' progress bar writes to stderr; room for it, though it is only read on failure.
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, ...(env ? { env } : {}) },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, out: stdout, err: stderr })
      }
    )
  })
}

/**
 * Runs the reference loop at 64×64 latents, or says why it was skipped (no /usr/bin/python3, or
 * no torch in it).
 */
export async function runPythonReference(
  runs: number
): Promise<PythonReference | { skipped: string }> {
  if (!existsSync(REFERENCE_PYTHON)) return { skipped: `${REFERENCE_PYTHON} is not installed` }
  const probe = await runPython(REFERENCE_PYTHON, ['-c', 'import torch'], 60_000)
  if (probe.code !== 0) return { skipped: `${REFERENCE_PYTHON} has no torch` }
  const result = await runPython(
    REFERENCE_PYTHON,
    [SCRIPT, '--latent-size', '64', '--steps', '20', '--runs', String(runs)],
    300_000
  )
  if (result.code !== 0) {
    return { skipped: `the reference loop failed: ${result.err.trim().split('\n').pop() ?? ''}` }
  }
  return JSON.parse(result.out) as PythonReference
}
