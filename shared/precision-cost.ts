import type { ModelPrecision } from './contract'

/**
 * What a model's precision costs where it runs, said where the user chooses a model (model
 * picker, curated downloads, `models info`). Measured on a full-size SD 1.5 export on this
 * project's 2-core test machine (bench/results/*-real-scale.json): onnxruntime's CPU provider has
 * few float16 kernels, casts around most operators and keeps float32 copies of the weights, so
 * the fp16 UNet took more memory after load (3.98 vs 3.37 GiB), peaked higher (7.67 vs 6.58 GiB
 * at 512², batch 2) and loaded 3× slower (118 vs 37 s) than the fp32 one.
 */

/** The one-line cost of float16 on the CPU. */
export const FP16_ON_CPU_NOTE =
  'fp16 is no faster on the CPU: onnxruntime computes it in float32 and keeps float32 copies, so it takes more memory (SD 1.5: +1.1 GiB peak) and loads about 3× slower than an fp32 export; fp16 pays on a GPU (CUDA, DirectML, WebGPU)'

/**
 * The note for a model of `precision` whose folder holds float16 variants of `fp16Variants`
 * graphs beside their float32 ones; null when there is nothing to say (plain fp32).
 */
export function precisionCostNote(
  precision: ModelPrecision,
  fp16Variants: readonly string[] = []
): string | null {
  if (fp16Variants.length > 0) {
    return `holds fp32 and fp16 graphs (${fp16Variants.join(', ')}): the CPU loads fp32, a GPU provider fp16, whichever is faster there`
  }
  return precision === 'fp32' ? null : FP16_ON_CPU_NOTE
}
