import path from 'node:path'
import { ModelLoadError } from './model-load-error'
import type { PipelineFamily } from './model-index'
import {
  optionalBoolean,
  optionalNumber,
  optionalNumberArray,
  readOptionalJsonObject,
  type JsonObject
} from './read-json'

/** The UNet config keys the pipelines read (`unet/config.json`); null where the file is silent. */
export interface UnetConfig {
  /** Latent size (an int, or `[h, w]`); the default image size is this × the VAE scale factor. */
  sampleSize: number | [number, number] | null
  inChannels: number | null
  /** Set for LCM-distilled UNets: CFG is then off and `timestep_cond` is fed. */
  timeCondProjDim: number | null
  additionTimeEmbedDim: number | null
  projectionClassEmbeddingsInputDim: number | null
  /**
   * Number of down blocks (`len(block_out_channels)`, else `len(down_block_types)`); every block
   * but the last halves the latents. Null when the config says neither.
   */
  downBlocks: number | null
  raw: JsonObject
}

/** The VAE config keys the pipelines read (`vae_decoder/config.json`, or `vae/config.json`). */
export interface VaeConfig {
  /** The latent scale, after the fallbacks of {@link resolveScalingFactor}. */
  scalingFactor: number
  /** True when the config itself had no `scaling_factor` (a warning is reported). */
  scalingFactorFromFallback: boolean
  latentsMean: number[] | null
  latentsStd: number[] | null
  forceUpcast: boolean
  /** `2 ** (len(block_out_channels) - 1)`, 8 when unknown. */
  scaleFactor: number
  /** Config oddities worth telling the user (reported with every result). */
  warnings: string[]
  raw: JsonObject
}

/** The text-encoder config keys the pipelines read. */
export interface TextEncoderConfig {
  projectionDim: number | null
  maxPositionEmbeddings: number | null
  raw: JsonObject
}

/** Default latent scale of SD 1.x / 2.x VAEs. */
export const SD_SCALING_FACTOR = 0.18215
/** Default latent scale of the SDXL VAE. */
export const SDXL_SCALING_FACTOR = 0.13025

/** Reads a component's optional `config.json` (the legacy ONNX layout has none). */
export async function readComponentConfig(
  dir: string,
  component: string
): Promise<JsonObject | null> {
  return readOptionalJsonObject(path.join(dir, component, 'config.json'), `The ${component} config`)
}

/** Parses the UNet config (all keys optional). */
export function parseUnetConfig(raw: JsonObject | null, file: string): UnetConfig {
  const obj = raw ?? {}
  const sample = obj.sample_size
  let sampleSize: UnetConfig['sampleSize'] = null
  if (typeof sample === 'number' && Number.isInteger(sample) && sample > 0) sampleSize = sample
  else if (
    Array.isArray(sample) &&
    sample.length === 2 &&
    sample.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)
  ) {
    sampleSize = [sample[0] as number, sample[1] as number]
  } else if (sample !== undefined && sample !== null) {
    throw new ModelLoadError(
      file,
      `"sample_size" in ${file} must be an integer or [height, width], but it is ${JSON.stringify(sample)}`
    )
  }
  return {
    sampleSize,
    inChannels: optionalNumber(obj, 'in_channels', file),
    timeCondProjDim: optionalNumber(obj, 'time_cond_proj_dim', file),
    additionTimeEmbedDim: optionalNumber(obj, 'addition_time_embed_dim', file),
    projectionClassEmbeddingsInputDim: optionalNumber(
      obj,
      'projection_class_embeddings_input_dim',
      file
    ),
    downBlocks: downBlockCount(obj, file),
    raw: obj
  }
}

function downBlockCount(obj: JsonObject, file: string): number | null {
  const channels = optionalNumberArray(obj, 'block_out_channels', file)
  if (channels !== null && channels.length > 0) return channels.length
  const types = obj.down_block_types
  return Array.isArray(types) && types.length > 0 ? types.length : null
}

/**
 * The VAE latent scale. From the config when present; otherwise 0.18215 for SD 1.x/2.x and
 * 0.13025 for SDXL (recognised by its family or `force_upcast`) — never optimum's fallback of
 * `2 ** (len(block_out_channels) - 1)` = 8, which is the spatial factor, not a latent scale.
 */
export function resolveScalingFactor(
  configured: number | null,
  family: PipelineFamily,
  forceUpcast: boolean
): number {
  if (configured !== null) return configured
  return family === 'sdxl' || forceUpcast ? SDXL_SCALING_FACTOR : SD_SCALING_FACTOR
}

/** Parses the VAE config (all keys optional) for a model of `family`. */
export function parseVaeConfig(
  raw: JsonObject | null,
  file: string,
  family: PipelineFamily
): VaeConfig {
  const obj = raw ?? {}
  const configured = optionalNumber(obj, 'scaling_factor', file)
  const forceUpcast = optionalBoolean(obj, 'force_upcast', file) ?? false
  const blocks = optionalNumberArray(obj, 'block_out_channels', file)
  let latentsMean = optionalNumberArray(obj, 'latents_mean', file)
  let latentsStd = optionalNumberArray(obj, 'latents_std', file)
  const warnings: string[] = []
  if ((latentsMean === null) !== (latentsStd === null)) {
    // diffusers de-normalises only when both are present; do the same, but say so.
    warnings.push(`${file} sets only one of "latents_mean" and "latents_std"; both are ignored`)
    latentsMean = null
    latentsStd = null
  }
  if (latentsMean !== null && latentsStd !== null && latentsMean.length !== latentsStd.length) {
    throw new ModelLoadError(
      file,
      `"latents_mean" and "latents_std" in ${file} have different lengths`
    )
  }
  const scalingFactor = resolveScalingFactor(configured, family, forceUpcast)
  if (configured === null) {
    warnings.push(
      `${file === '' ? 'The VAE config' : file} has no "scaling_factor"; using ${scalingFactor}`
    )
  }
  return {
    scalingFactor,
    scalingFactorFromFallback: configured === null,
    latentsMean,
    latentsStd,
    forceUpcast,
    warnings,
    scaleFactor: blocks !== null && blocks.length > 0 ? 2 ** (blocks.length - 1) : 8,
    raw: obj
  }
}

/** Parses a text-encoder config (all keys optional). */
export function parseTextEncoderConfig(raw: JsonObject | null, file: string): TextEncoderConfig {
  const obj = raw ?? {}
  return {
    projectionDim: optionalNumber(obj, 'projection_dim', file),
    maxPositionEmbeddings: optionalNumber(obj, 'max_position_embeddings', file),
    raw: obj
  }
}
