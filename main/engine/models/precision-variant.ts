import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { ExecutionProviderName } from './execution-providers'

/**
 * Which of a graph's precisions to load. A component folder may hold the float32 graph
 * (`model.onnx`) and a float16 one beside it under diffusers' variant naming (`model.fp16.onnx`,
 * as `diffusion_pytorch_model.fp16.safetensors`). They compute the same thing; which is faster
 * depends on the provider: onnxruntime's CPU provider has few float16 kernels, so it casts to
 * float32 around most operators and keeps float32 copies of weights — measured on a full-size SD
 * 1.5 UNet here, the float16 export took more memory after load (3.98 vs 3.37 GiB), a higher peak
 * (7.67 vs 6.58 GiB at 512², batch 2) and 3× longer to load (118 vs 37 s). GPU providers (CUDA,
 * DirectML, WebGPU, CoreML) run float16 natively at half the memory traffic.
 */

/** The float16 variant's file name beside `model.onnx`. */
export const FP16_VARIANT_FILE = 'model.fp16.onnx'

/** Whether a provider runs float16 graphs natively (faster than float32). */
export function prefersFloat16(provider: ExecutionProviderName): boolean {
  return provider !== 'cpu'
}

/** The graph file to load for `component` on `provider`, and its label for messages. */
export function graphFileFor(
  dir: string,
  component: string,
  provider: ExecutionProviderName,
  fp16Variant: boolean
): { file: string; label: string } {
  if (fp16Variant && prefersFloat16(provider)) {
    return {
      file: path.join(dir, component, FP16_VARIANT_FILE),
      label: `${component}/${FP16_VARIANT_FILE}`
    }
  }
  return { file: path.join(dir, component, 'model.onnx'), label: `${component}/model.onnx` }
}

/** The components of `dir` that hold a float16 variant beside their `model.onnx`. */
export async function componentsWithFp16Variant(
  dir: string,
  components: readonly string[]
): Promise<string[]> {
  const found: string[] = []
  for (const c of components) {
    const stat = await fs.stat(path.join(dir, c, FP16_VARIANT_FILE)).catch(() => null)
    if (stat?.isFile() === true) found.push(c)
  }
  return found
}
