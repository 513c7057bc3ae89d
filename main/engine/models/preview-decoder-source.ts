import { promises as fs } from 'node:fs'
import path from 'node:path'
import { ModelLoadError } from './model-load-error'
import {
  fileExists,
  optionalNumber,
  optionalString,
  readOptionalJsonObject,
  type JsonObject
} from './read-json'

/**
 * A tiny (TAESD-class) preview decoder: where its graph is and how to feed it.
 *
 * TAESD takes the latents as the pipeline holds them — already multiplied by the VAE's
 * `scaling_factor` (TAESD's own scaling factor is 1; madebyollin/taesd feeds the scheduler's
 * `pred_original_sample` straight to its decoder) — and diffusers' `AutoencoderTiny` decoder
 * returns pixels in [−1, 1], which is what the Hub's ONNX exports and Stepwise's own decoders
 * output. The decoder is fed `latents / scalingFactor + shiftFactor`, diffusers' rule with the
 * decoder's own `config.json` (an `AutoencoderTiny` config has 1 and 0: the latents as they are).
 */
export interface PreviewDecoderSource {
  /** The graph file. */
  file: string
  /** How messages name it, e.g. `preview_decoder/model.onnx` or `taesd/vae_decoder/model.onnx`. */
  label: string
  /** `model`: the model folder's own `preview_decoder/`; `external`: a folder or file given by path. */
  origin: 'model' | 'external'
  /** diffusers class in its `config.json` (`AutoencoderTiny` for TAESD), if it has one. */
  className: string | null
  /** The latents are divided by this before decoding (1 for TAESD). */
  scalingFactor: number
  /** …and this is added (0 for TAESD). */
  shiftFactor: number
  /** Latent channels its `config.json` declares, if any. */
  latentChannels: number | null
  /** The `config.json` read, or null when there is none (TAESD's conventions are assumed). */
  configFile: string | null
}

/** diffusers' AutoencoderKL default, for a full VAE's config that does not state its own. */
const AUTOENCODER_KL_SCALING = 0.18215

/** Folder layouts searched, in order, when a preview decoder is given as a folder. */
const LAYOUTS = ['vae_decoder', 'preview_decoder', '.'] as const

async function readConfig(
  file: string,
  label: string,
  origin: PreviewDecoderSource['origin']
): Promise<PreviewDecoderSource> {
  const configFile = path.join(path.dirname(file), 'config.json')
  const raw: JsonObject | null = await readOptionalJsonObject(
    configFile,
    `The preview decoder's config`
  )
  const className = raw === null ? null : optionalString(raw, '_class_name', configFile)
  const scaling = raw === null ? null : optionalNumber(raw, 'scaling_factor', configFile)
  const shift = raw === null ? null : optionalNumber(raw, 'shift_factor', configFile)
  const channels = raw === null ? null : optionalNumber(raw, 'latent_channels', configFile)
  const scalingFactor = scaling ?? (className === 'AutoencoderKL' ? AUTOENCODER_KL_SCALING : 1)
  if (scalingFactor === 0) {
    throw new ModelLoadError(configFile, `"scaling_factor" in ${configFile} must not be 0`)
  }
  return {
    file,
    label,
    origin,
    className,
    scalingFactor,
    shiftFactor: shift ?? 0,
    latentChannels: channels,
    configFile: raw === null ? null : configFile
  }
}

/** The model folder's own tiny decoder, `preview_decoder/model.onnx`, or null if it has none. */
export async function findModelPreviewDecoder(
  modelDir: string
): Promise<PreviewDecoderSource | null> {
  const file = path.join(modelDir, 'preview_decoder', 'model.onnx')
  if (!(await fileExists(file))) return null
  return readConfig(file, 'preview_decoder/model.onnx', 'model')
}

/**
 * A separately stored tiny decoder, given as a path: a TAESD folder in the Hub's layout
 * (`vae_decoder/model.onnx`, as `deinferno/taesd-onnx` and `julienkay/taesdxl` publish it), a
 * folder with `preview_decoder/model.onnx` or `model.onnx`, or the `.onnx` file itself. The
 * `config.json` beside the graph, if any, gives its latent scaling (see
 * {@link PreviewDecoderSource}). Errors name the path and the layouts looked for.
 */
export async function resolvePreviewDecoder(given: string): Promise<PreviewDecoderSource> {
  const resolved = path.resolve(given)
  const stat = await fs.stat(resolved).catch(() => null)
  if (stat === null) {
    throw new ModelLoadError(resolved, `The preview decoder ${resolved} does not exist`)
  }
  if (stat.isFile()) {
    if (!resolved.toLowerCase().endsWith('.onnx')) {
      throw new ModelLoadError(
        resolved,
        `The preview decoder ${resolved} is not an ONNX file; give a TAESD folder (with vae_decoder/model.onnx) or a .onnx file`
      )
    }
    return readConfig(resolved, path.basename(resolved), 'external')
  }
  for (const layout of LAYOUTS) {
    const file = path.join(resolved, layout, 'model.onnx')
    if (await fileExists(file)) {
      const label = path.join(path.basename(resolved), layout, 'model.onnx')
      return readConfig(file, label, 'external')
    }
  }
  throw new ModelLoadError(
    resolved,
    `No preview decoder in ${resolved}: expected vae_decoder/model.onnx (the layout of the Hub's TAESD ONNX exports, e.g. deinferno/taesd-onnx or julienkay/taesdxl), preview_decoder/model.onnx or model.onnx`
  )
}
