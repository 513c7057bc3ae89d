import { HubError } from './hub-error'
import type { RepoFile } from './repo-listing'

/**
 * Which files of a Hub repository an ONNX diffusion pipeline needs. Repositories often carry much
 * more than the ONNX export — PyTorch/safetensors weights (several GB), Flax and OpenVINO copies,
 * sample images, a safety checker — so the download takes an allow-list per folder.
 */

/** Folders holding ONNX graphs, in optimum's layout and diffusers' legacy one. */
export const ONNX_COMPONENTS: readonly string[] = [
  'text_encoder',
  'text_encoder_2',
  'text_encoder_3',
  'unet',
  'transformer',
  'vae_decoder',
  'vae_encoder'
]

const TOKENIZERS = new Set(['tokenizer', 'tokenizer_2', 'tokenizer_3'])

// External weights next to a graph: optimum's `model.onnx_data`, diffusers' legacy `weights.pb`,
// Olive's `model.onnx.data`, and per-tensor files without an extension (onnx's
// `all_tensors_to_one_file=False`).
export const EXTERNAL_DATA = /(\.onnx_data|\.onnx\.data|\.data|\.pb)$/

/** Why a file is left out, for the plan shown to the user. */
export type SkipReason =
  | 'not part of an ONNX pipeline'
  | 'safety checker (Stepwise does not run one)'
  | 'not an ONNX file'
  | 'not needed for previews'

/** The files to fetch and the ones left out. */
export interface FileSelection {
  needed: RepoFile[]
  skipped: { path: string; size: number; reason: SkipReason }[]
}

/**
 * Splits a listing into what the pipeline needs and what it does not, and checks that the
 * result is an ONNX diffusion pipeline. Throws a `not-onnx-pipeline` {@link HubError} naming
 * what is missing otherwise.
 */
export function selectPipelineFiles(files: readonly RepoFile[], label: string): FileSelection {
  const onnxFolders = new Set(
    files
      .map((f) => f.path.split('/'))
      .filter((parts) => parts.length === 2 && (parts[1] ?? '').endsWith('.onnx'))
      .map((parts) => parts[0] ?? '')
  )
  const selection: FileSelection = { needed: [], skipped: [] }
  for (const file of files) {
    const reason = skipReason(file.path, onnxFolders)
    if (reason === null) selection.needed.push(file)
    else selection.skipped.push({ path: file.path, size: file.size, reason })
  }
  checkPipeline(selection.needed, files, label)
  return selection
}

/** Null when the pipeline needs `path`, else why not. */
export function skipReason(path: string, onnxFolders: ReadonlySet<string>): SkipReason | null {
  const parts = path.split('/')
  const name = parts[parts.length - 1] ?? ''
  if (parts.length === 1) {
    return name === 'model_index.json' || name === 'stepwise.json'
      ? null
      : 'not part of an ONNX pipeline'
  }
  if (parts.length !== 2) return 'not part of an ONNX pipeline'
  const folder = parts[0] ?? ''
  if (folder === 'safety_checker') return 'safety checker (Stepwise does not run one)'
  if (folder === 'scheduler' || folder === 'feature_extractor') {
    return name.endsWith('.json') ? null : 'not part of an ONNX pipeline'
  }
  if (TOKENIZERS.has(folder)) {
    return /\.(json|txt|model)$/.test(name) ? null : 'not part of an ONNX pipeline'
  }
  if (ONNX_COMPONENTS.includes(folder)) {
    if (!onnxFolders.has(folder)) return 'not an ONNX file'
    if (name === 'config.json' || name.endsWith('.onnx') || EXTERNAL_DATA.test(name)) return null
    return name.includes('.') ? 'not an ONNX file' : null
  }
  return 'not part of an ONNX pipeline'
}

function checkPipeline(needed: readonly RepoFile[], all: readonly RepoFile[], label: string): void {
  const have = new Set(needed.map((f) => f.path))
  const missing: string[] = []
  if (!have.has('model_index.json')) missing.push('model_index.json')
  if (!have.has('unet/model.onnx') && !have.has('transformer/model.onnx')) {
    missing.push('unet/model.onnx')
  }
  if (!have.has('text_encoder/model.onnx') && !have.has('text_encoder_2/model.onnx')) {
    missing.push('text_encoder/model.onnx')
  }
  if (!have.has('vae_decoder/model.onnx')) missing.push('vae_decoder/model.onnx')
  if (!have.has('scheduler/scheduler_config.json')) missing.push('scheduler/scheduler_config.json')
  if (missing.length === 0) return
  const torch = all.some((f) => /^(unet|transformer)\/diffusion_pytorch_model\./.test(f.path))
  const hint = torch
    ? ' It holds PyTorch weights: pick an ONNX export of this model, or export one with `optimum-cli export onnx --model <repo> <folder>`.'
    : ''
  throw new HubError(
    'not-onnx-pipeline',
    `${label} is not an ONNX diffusion pipeline: it has no ${missing.join(', ')}.${hint}`
  )
}
