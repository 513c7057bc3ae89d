import type { Tensor } from 'onnxruntime-node'
import { SD_DIR, SDXL_DIR } from '../../../testing/fixture-models'
import { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import { StableDiffusionXLPipeline } from '../pipelines/stable-diffusion-xl-pipeline'
import { float32Data } from '../tensor/float-tensor'
import type { FromPretrainedOptions } from '../pipelines/pipeline-types'

/** Test support: the committed fixture models and small helpers for pipeline tests. */
export { SD_DIR, SDXL_DIR }

/** One thread per session: the test machine has two cores and test files run in parallel. */
export const TEST_SESSION_OPTIONS = { executionProviders: ['cpu'] as ['cpu'], intraOpNumThreads: 1 }

export function openSd(
  dir = SD_DIR,
  options: FromPretrainedOptions = {}
): Promise<StableDiffusionPipeline> {
  return StableDiffusionPipeline.fromPretrained(dir, { ...TEST_SESSION_OPTIONS, ...options })
}

export function openSdxl(dir = SDXL_DIR): Promise<StableDiffusionXLPipeline> {
  return StableDiffusionXLPipeline.fromPretrained(dir, TEST_SESSION_OPTIONS)
}

/** A copy of a tensor's values (callbacks see tensors the loop later replaces). */
export function values(t: Tensor): number[] {
  return Array.from(float32Data(t))
}

/** Largest |a − b| relative to max(1, max |a|). */
export function relativeDiff(a: Tensor, b: Tensor): number {
  const x = float32Data(a)
  const y = float32Data(b)
  if (x.length !== y.length) return Infinity
  let diff = 0
  let scale = 1
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)))
    scale = Math.max(scale, Math.abs(x[i] as number))
  }
  return diff / scale
}
