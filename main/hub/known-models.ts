/**
 * A short, curated list of ONNX exports on the Hugging Face Hub for the download picker, next to
 * free entry of any repo id. Every repository here was found referenced as an ONNX diffusers
 * pipeline by independent projects (ONNX Runtime's blog, apps that load them); sizes are those
 * reported there and are approximate. What the list cannot promise — that a repository still
 * exists or has not changed — the download checks itself (listing, layout, hashes).
 */

import { FP16_ON_CPU_NOTE } from '../../shared/precision-cost'

/** The model families Stepwise tells apart, with their usual defaults. */
export type KnownModelFamily = 'sd1' | 'sd2' | 'sd-turbo' | 'sdxl' | 'sdxl-turbo'

/** One curated Hub repository. */
export interface KnownModel {
  /** Stable key for settings and the CLI (`--known sd-turbo`). */
  key: string
  /** Display name. */
  name: string
  repo: string
  revision: string
  family: KnownModelFamily
  /** Weights and I/O precision of the export. */
  precision: 'fp32' | 'fp16'
  /** Rough size of what the download fetches, in GB (from public reports; the plan is exact). */
  approxDownloadGB: number
  /** Generation defaults for this model (the model's own configs may refine the scheduler). */
  defaults: { width: number; height: number; steps: number; guidanceScale: number }
  /**
   * Execution providers the export is known to need, when narrower than "any": ONNX Runtime's
   * own optimised exports use fused CUDA-only operators (NhwcConv, GroupNorm) that the CPU
   * provider rejects.
   */
  requiresProvider?: 'cuda'
  /** What a user should know before downloading (license, quirks). */
  note: string
}

/** The curated list. */
export const KNOWN_ONNX_MODELS: readonly KnownModel[] = [
  {
    key: 'sd15',
    name: 'Stable Diffusion 1.5 (ONNX, fp32)',
    repo: 'onnx-community/stable-diffusion-v1-5-ONNX',
    revision: 'main',
    family: 'sd1',
    precision: 'fp32',
    approxDownloadGB: 4.3,
    defaults: { width: 512, height: 512, steps: 25, guidanceScale: 7.5 },
    note: 'diffusers legacy ONNX layout (unet/weights.pb); runs on every provider. CreativeML OpenRAIL-M license.'
  },
  {
    key: 'sd15-fp16',
    name: 'Stable Diffusion 1.5 (ONNX, fp16)',
    repo: 'nmkd/stable-diffusion-1.5-onnx-fp16',
    revision: 'main',
    family: 'sd1',
    precision: 'fp16',
    approxDownloadGB: 2.1,
    defaults: { width: 512, height: 512, steps: 25, guidanceScale: 7.5 },
    note: `float16 export made for DirectML; half the download of the fp32 one, but ${FP16_ON_CPU_NOTE}. CreativeML OpenRAIL-M license.`
  },
  {
    key: 'sd14-legacy',
    name: 'Stable Diffusion 1.4 (diffusers ONNX branch)',
    repo: 'CompVis/stable-diffusion-v1-4',
    revision: 'onnx',
    family: 'sd1',
    precision: 'fp32',
    approxDownloadGB: 4.3,
    defaults: { width: 512, height: 512, steps: 50, guidanceScale: 7.5 },
    note: 'The original OnnxStableDiffusionPipeline export on the "onnx" branch. May ask you to accept its license on huggingface.co and use an access token.'
  },
  {
    key: 'sd-turbo',
    name: 'SD-Turbo (ONNX Runtime optimised, fp16)',
    repo: 'onnxruntime/sd-turbo',
    revision: 'main',
    family: 'sd-turbo',
    precision: 'fp16',
    approxDownloadGB: 2.6,
    defaults: { width: 512, height: 512, steps: 1, guidanceScale: 0 },
    requiresProvider: 'cuda',
    note: 'Optimised by Olive for the CUDA provider (fused operators the CPU provider rejects). Stability AI non-commercial research community license.'
  },
  {
    key: 'sdxl-turbo',
    name: 'SDXL-Turbo (ONNX Runtime optimised, fp16)',
    repo: 'onnxruntime/sdxl-turbo',
    revision: 'main',
    family: 'sdxl-turbo',
    precision: 'fp16',
    approxDownloadGB: 9.7,
    defaults: { width: 512, height: 512, steps: 1, guidanceScale: 0 },
    requiresProvider: 'cuda',
    note: 'Optimised by Olive for the CUDA provider, with an fp16-safe VAE; trained at 512×512. Stability AI Community license.'
  },
  {
    key: 'tiny-test',
    name: 'Tiny random SD (download check only)',
    repo: 'optimum-internal-testing/tiny-stable-diffusion-onnx',
    revision: 'main',
    family: 'sd1',
    precision: 'fp32',
    approxDownloadGB: 0.01,
    defaults: { width: 64, height: 64, steps: 2, guidanceScale: 7.5 },
    note: "Random weights from optimum's test suite: images are noise. Useful to check that downloads work on this machine."
  }
]

/** The curated entry with this key, or undefined. */
export function findKnownModel(key: string): KnownModel | undefined {
  return KNOWN_ONNX_MODELS.find((m) => m.key === key)
}
