import type { Tensor } from 'onnxruntime-node'
import { formatDims } from './float-tensor'
import { reshape } from './reshaping'
import {
  allocateLike,
  copyRange,
  normalizeDim,
  rankOf,
  numericData,
  splitAt,
  tensorOf
} from './tensor-data'

/**
 * `torch.cat(tensors, dim)`: the tensors joined along `dim`. They must have the same type, the
 * same number of dimensions and the same size on every other axis.
 *
 * ```ts
 * cat([latents, latents])                          // torch.cat([latents] * 2)
 * cat([negativePromptEmbeds, promptEmbeds])        // the [uncond; cond] batch of CFG
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const first = tensors[0]
  if (first === undefined) throw new RangeError('cat needs at least one tensor')
  const rank = rankOf(first, 'cat')
  if (rank === 0) throw new RangeError('cat: scalar tensors cannot be concatenated')
  const d = normalizeDim(dim, rank, 'cat')
  const sources = tensors.map((t, k) => {
    const data = numericData(t, 'cat')
    if (t.type !== first.type) {
      throw new TypeError(`cat: tensor ${k} is ${t.type} but tensor 0 is ${first.type}`)
    }
    const sameOtherDims =
      t.dims.length === rank &&
      t.dims.every((size, axis) => axis === d || size === first.dims[axis])
    if (!sameOtherDims) {
      throw new RangeError(
        `cat: tensor ${k} has shape ${formatDims(t.dims)}, which does not match ${formatDims(first.dims)} outside dimension ${dim}`
      )
    }
    return { data, rows: t.dims[d] as number }
  })
  const { outer, inner } = splitAt(first.dims, d)
  const total = sources.reduce((sum, s) => sum + s.rows, 0)
  const out = allocateLike(numericData(first, 'cat'), outer * total * inner)
  let at = 0
  for (let o = 0; o < outer; o++) {
    for (const { data, rows } of sources) {
      const block = rows * inner
      copyRange(out, data, o * block, (o + 1) * block, at)
      at += block
    }
  }
  const dims = first.dims.slice()
  dims[d] = total
  return tensorOf(first.type, out, dims)
}

/**
 * `torch.stack(tensors, dim)`: tensors of one shape joined along a new axis at `dim`.
 *
 * ```ts
 * stack([imageA, imageB]) // two [4, h, w] latents → a [2, 4, h, w] batch
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const first = tensors[0]
  if (first === undefined) throw new RangeError('stack needs at least one tensor')
  const d = normalizeDim(dim, rankOf(first, 'stack'), 'stack', 1)
  tensors.forEach((t, k) => {
    if (formatDims(t.dims) !== formatDims(first.dims)) {
      throw new RangeError(
        `stack: tensor ${k} has shape ${formatDims(t.dims)}, but tensor 0 has ${formatDims(first.dims)}`
      )
    }
  })
  const withAxis = (t: Tensor): Tensor => reshape(t, [...t.dims.slice(0, d), 1, ...t.dims.slice(d)])
  return cat(tensors.map(withAxis), d)
}
