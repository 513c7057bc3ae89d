import { HubError } from './hub-error'
import type { FileSelection } from './pipeline-files'
import { EXTERNAL_DATA } from './pipeline-files'
import type { RepoFile } from './repo-listing'

/**
 * Which files of a TAESD repository tiny previews need. The Hub's ONNX TAESD exports
 * (`deinferno/taesd-onnx`, `julienkay/taesd`, `julienkay/taesdxl`) hold `vae_decoder/model.onnx`
 * and `vae_encoder/model.onnx` (4.9 MB each), a README and sometimes the export script; previews
 * only decode, so only the decoder folder is fetched: its graph, its external weights if any and
 * its `config.json` if it has one (the engine reads the latent scaling from it).
 */
export function selectPreviewDecoderFiles(
  files: readonly RepoFile[],
  label: string
): FileSelection {
  const selection: FileSelection = { needed: [], skipped: [] }
  for (const file of files) {
    const [folder, name, ...deeper] = file.path.split('/')
    const wanted =
      folder === 'vae_decoder' &&
      deeper.length === 0 &&
      name !== undefined &&
      (name === 'model.onnx' || name === 'config.json' || EXTERNAL_DATA.test(name))
    if (wanted) selection.needed.push(file)
    else
      selection.skipped.push({
        path: file.path,
        size: file.size,
        reason: 'not needed for previews'
      })
  }
  if (!selection.needed.some((f) => f.path === 'vae_decoder/model.onnx')) {
    throw new HubError(
      'not-onnx-pipeline',
      `${label} is not a TAESD preview decoder in the Hub's ONNX layout: it has no vae_decoder/model.onnx`
    )
  }
  return selection
}
