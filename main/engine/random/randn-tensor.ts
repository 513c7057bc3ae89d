import { Tensor } from 'onnxruntime-node'
import { fillNormal, shapeSize } from './distributions'
import type { Generator } from './generator'
import { getDefaultGenerator } from './generator'

/** Options of {@link randnTensor}. */
export interface RandnTensorOptions {
  /**
   * One generator for the whole tensor, or one per batch item (diffusers' list of generators:
   * item `i` is drawn as a `[1, ...rest]` tensor from `generator[i]`). Default generator if absent.
   */
  generator?: Generator | readonly Generator[]
}

/**
 * diffusers' `randn_tensor` for CPU generators: the initial latents `[B, C, H, W]` (or any shape)
 * drawn exactly as diffusers draws them, so a seed gives diffusers' latents. With one generator the
 * whole shape is drawn in one `torch.randn` call; with a list, one call per batch item.
 */
export function randnTensor(shape: readonly number[], options: RandnTensorOptions = {}): Tensor {
  const size = shapeSize(shape, 'randnTensor')
  const data = new Float32Array(size)
  const { generator } = options
  if (Array.isArray(generator) && generator.length !== 1) {
    const batch = shape[0]
    if (batch === undefined || generator.length !== batch) {
      throw new Error(
        `randnTensor: got ${generator.length} generators for a batch of ${String(batch ?? 'none')}; ` +
          'pass one generator, or exactly one per batch item'
      )
    }
    const itemSize = batch === 0 ? 0 : size / batch
    generator.forEach((g: Generator, i: number) => {
      fillNormal(data.subarray(i * itemSize, (i + 1) * itemSize), g)
    })
  } else {
    const single: Generator | undefined = Array.isArray(generator)
      ? (generator[0] as Generator)
      : (generator as Generator | undefined)
    fillNormal(data, single ?? getDefaultGenerator())
  }
  return new Tensor('float32', data, [...shape])
}
