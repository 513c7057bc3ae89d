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

/**
 * diffusers' consistency check of the added-embedding width:
 * `addition_time_embed_dim × 6 + text_encoder_projection_dim` must equal the UNet's
 * `projection_class_embeddings_input_dim` (2816 for SDXL base). optimum's ONNX pipeline skips it;
 * Stepwise runs it whenever the configs carry the numbers, plus a check of a fixed `time_ids` width.
 */
export function checkAddEmbedDim(
  folder: ModelFolder,
  unet: { model: OnnxModel; io: UnetIo },
  pooledWidth: number
): void {
  const timeEmbed = folder.unetConfig.additionTimeEmbedDim
  const expected = folder.unetConfig.projectionClassEmbeddingsInputDim
  const projection = folder.textEncoderConfigs.text_encoder_2?.projectionDim ?? pooledWidth
  if (timeEmbed !== null && expected !== null) {
    const passed = timeEmbed * 6 + projection
    if (passed !== expected) {
      throw new Error(
        `Model expects an added time embedding vector of length ${expected}, but a vector of ${passed} was created. The model has an incorrect config. Please check \`unet.config.time_embedding_type\` and \`text_encoder_2.config.projection_dim\`.`
      )
    }
  }
  const width = unet.model.input('time_ids').shape[1]
  if (typeof width === 'number' && width !== 6) {
    throw new ModelLoadError(
      unet.model.path,
      `${unet.model.label} takes time_ids of width ${width}; the SDXL text-to-image pipeline builds 6 (a refiner UNet with an aesthetic score is not supported)`
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
