import type { Tensor } from 'onnxruntime-node'
import { batchOf } from '../tensor/batch'
import { formatDims } from '../tensor/float-tensor'
import { cat } from '../tensor/joining'

/** The 9-channel UNet input: the scaled latents, then the named loop tensors, along channels. */
export function withExtraChannels(
  input: Tensor,
  tensors: Readonly<Record<string, Tensor | null>>,
  names: readonly string[]
): Tensor {
  if (names.length === 0) return input
  const parts = [input]
  for (const name of names) {
    const t = tensors[name]
    if (t === null || t === undefined) {
      throw new Error(`the inpainting UNet needs ${name}, but a callback set it to null`)
    }
    if (batchOf(t) !== batchOf(input)) {
      throw new Error(
        `${name} has shape ${formatDims(t.dims)} but the UNet's latent input ${formatDims(input.dims)}: a callback that turns classifier-free guidance off must also keep only the conditional half of mask and masked_image_latents (as SDCFGCutoffCallback / SDXLCFGCutoffCallback do)`
      )
    }
    parts.push(t)
  }
  return cat(parts, 1)
}
