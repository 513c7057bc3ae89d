/** One generation the benchmark runs: a size, a step count and how guidance behaves. */
export interface RunConfig {
  width: number
  height: number
  /** num_inference_steps; with EulerDiscreteScheduler the loop runs exactly this many steps. */
  steps: number
  /** 7.5 runs classifier-free guidance (UNet batch 2); 1 turns it off (batch 1). */
  guidanceScale: number
  /** End guidance after step index int(T · ratio), or null for guidance until the end. */
  cutoffRatio: number | null
  /** Guidance only for steps int(T · start) ≤ i < int(T · end); absent or null: every step. */
  interval?: { startRatio: number; endRatio: number } | null
  seed: number
}

/** The prompt every run uses (the default model draws shapes; the text only has to be real). */
export const BENCH_PROMPT = 'a red circle above a blue square on a white background'

/**
 * The scheduler every run uses: first order, so T = num_inference_steps, and the same update as
 * diffusers' EulerDiscreteScheduler that the Python reference loop reimplements.
 */
export const BENCH_SCHEDULER = 'EulerDiscreteScheduler' as const
