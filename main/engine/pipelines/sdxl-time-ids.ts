import type { Tensor } from 'onnxruntime-node'
import { ModelLoadError } from '../models/model-load-error'
import type { ModelFolder } from '../models/model-folder'
import type { UnetIo } from '../models/unet-io'
import type { OnnxModel } from '../models/onnx-model'
import { floatTensor } from '../tensor/float-tensor'

/** SDXL micro-conditioning: `(height, width)` pairs and the crop origin. */
export interface MicroConditioning {
  originalSize: readonly [number, number]
  cropsCoordsTopLeft: readonly [number, number]
  targetSize: readonly [number, number]
}

/** `[orig_h, orig_w, crop_top, crop_left, target_h, target_w]` (diffusers' `_get_add_time_ids`). */
export function timeIdsRow(c: MicroConditioning): number[] {
  return [...c.originalSize, ...c.cropsCoordsTopLeft, ...c.targetSize]
}

/** The micro-conditioning options of SDXL calls. */
export interface TimeIdOptions {
  originalSize?: [number, number] | null
  cropsCoordsTopLeft?: [number, number]
  targetSize?: [number, number] | null
  negativeOriginalSize?: [number, number] | null
  negativeCropsCoordsTopLeft?: [number, number]
  negativeTargetSize?: [number, number] | null
}

/** What the SDXL image pipelines add: the refiner's aesthetic scores. */
export interface ImageTimeIdOptions extends TimeIdOptions {
  /** Refiners (`requires_aesthetics_score`): the positive row's score; default 6.0. */
  aestheticScore?: number
  /** Refiners: the negative row's score; default 2.5. */
  negativeAestheticScore?: number
}

/**
 * Text-to-image `time_ids` rows: the negative row differs from the positive one only when both
 * negative sizes are given (diffusers' `StableDiffusionXLPipeline`).
 */
export function textToImageTimeIds(
  o: TimeIdOptions,
  size: [number, number]
): { positive: number[]; negative: number[] } {
  const positive = timeIdsRow({
    originalSize: o.originalSize ?? size,
    cropsCoordsTopLeft: o.cropsCoordsTopLeft ?? [0, 0],
    targetSize: o.targetSize ?? size
  })
  const negative =
    o.negativeOriginalSize != null && o.negativeTargetSize != null
      ? timeIdsRow({
          originalSize: o.negativeOriginalSize,
          cropsCoordsTopLeft: o.negativeCropsCoordsTopLeft ?? [0, 0],
          targetSize: o.negativeTargetSize
        })
      : positive
  return { positive, negative }
}

/**
 * The image pipelines' `_get_add_time_ids`: with `requires_aesthetics_score`,
 * `[orig_h, orig_w, crop_top, crop_left, score]` (negative row: the negative sizes and crop and
 * the negative score); otherwise the 6 text-to-image ids, the negative sizes defaulting to the
 * positive ones and the negative row taking the positive crop, as diffusers builds it.
 */
export function imageTimeIds(
  o: ImageTimeIdOptions,
  size: [number, number],
  requiresAestheticsScore: boolean
): { positive: number[]; negative: number[] } {
  const originalSize = o.originalSize ?? size
  const targetSize = o.targetSize ?? size
  const crops = o.cropsCoordsTopLeft ?? [0, 0]
  const negativeOriginal = o.negativeOriginalSize ?? originalSize
  const negativeTarget = o.negativeTargetSize ?? targetSize
  if (requiresAestheticsScore) {
    return {
      positive: [...originalSize, ...crops, o.aestheticScore ?? 6.0],
      negative: [
        ...negativeOriginal,
        ...(o.negativeCropsCoordsTopLeft ?? [0, 0]),
        o.negativeAestheticScore ?? 2.5
      ]
    }
  }
  return {
    positive: [...originalSize, ...crops, ...targetSize],
    negative: [...negativeOriginal, ...crops, ...negativeTarget]
  }
}

/**
 * diffusers' consistency check of the added-embedding width:
 * `addition_time_embed_dim × ids + text_encoder_projection_dim` must equal the UNet's
 * `projection_class_embeddings_input_dim` (2816 for SDXL base: 6 ids; 2560 for the refiner: 5
 * ids with an aesthetic score). optimum's ONNX pipeline skips it; Stepwise runs it whenever the
 * configs carry the numbers, plus a check of a fixed `time_ids` width. `image` is set for the
 * image pipelines, whose messages point at `requires_aesthetics_score` as diffusers' do.
 */
export function checkAddEmbedDim(
  folder: ModelFolder,
  unet: { model: OnnxModel; io: UnetIo },
  pooledWidth: number,
  idCount = 6,
  image: { requiresAestheticsScore: boolean } | null = null
): void {
  const timeEmbed = folder.unetConfig.additionTimeEmbedDim
  const expected = folder.unetConfig.projectionClassEmbeddingsInputDim
  const projection = folder.textEncoderConfigs.text_encoder_2?.projectionDim ?? pooledWidth
  if (timeEmbed !== null && expected !== null) {
    const passed = timeEmbed * idCount + projection
    if (image !== null && expected - passed === timeEmbed) {
      throw new Error(
        `Model expects an added time embedding vector of length ${expected}, but a vector of ${passed} was created. Please make sure to enable \`requires_aesthetics_score\` in model_index.json so that the aesthetic scores are used by the model.`
      )
    }
    if (image !== null && passed - expected === timeEmbed) {
      throw new Error(
        `Model expects an added time embedding vector of length ${expected}, but a vector of ${passed} was created. Please make sure to disable \`requires_aesthetics_score\` in model_index.json so that the target size is used by the model.`
      )
    }
    if (passed !== expected) {
      throw new Error(
        `Model expects an added time embedding vector of length ${expected}, but a vector of ${passed} was created. The model has an incorrect config. Please check \`unet.config.time_embedding_type\` and \`text_encoder_2.config.projection_dim\`.`
      )
    }
  }
  const width = unet.model.input('time_ids').shape[1]
  if (typeof width === 'number' && width !== idCount) {
    throw new ModelLoadError(
      unet.model.path,
      image === null
        ? `${unet.model.label} takes time_ids of width ${width}; the SDXL text-to-image pipeline builds ${idCount} (a refiner UNet with an aesthetic score runs in StableDiffusionXLImg2ImgPipeline)`
        : `${unet.model.label} takes time_ids of width ${width}, but ${idCount} were built; set model_index.json's requires_aesthetics_score to match the UNet`
    )
  }
}

/**
 * The `add_time_ids` tensor of the loop. Without CFG: the positive row repeated B times. With
 * CFG: `[negative × B ; positive × B]` — the same block order as `prompt_embeds` and
 * `add_text_embeds`, so row k conditions latent row k. (diffusers tiles `[neg; pos]` B times,
 * interleaving the rows, which mismatches them for B > 1 when negative micro-conditioning differs.)
 */
export function buildAddTimeIds(
  positive: number[],
  negative: number[],
  batch: number,
  cfg: boolean
): Tensor {
  const rows: number[][] = []
  if (cfg) for (let b = 0; b < batch; b++) rows.push(negative)
  for (let b = 0; b < batch; b++) rows.push(positive)
  return floatTensor(Float32Array.from(rows.flat()), [rows.length, positive.length])
}
