import type { Tensor } from 'onnxruntime-node'
import { formatDims, numel } from './float-tensor'
import { normalizeDim, rankOf, numericData, tensorOf } from './tensor-data'

/**
 * `tensor.reshape(dims)` / `tensor.view(dims)`: the same values in another shape; one size may
 * be -1, inferred from the others. Like torch's views, the result shares the input's data.
 */
export function reshape(tensor: Tensor, dims: readonly number[]): Tensor {
  const data = numericData(tensor, 'reshape')
  const unknown = dims.filter((d) => d === -1).length
  if (unknown > 1 || dims.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new RangeError(
      `reshape: ${formatDims(dims)} is not a shape (sizes are whole numbers ≥ 0, at most one -1)`
    )
  }
  const known = numel(dims.filter((d) => d !== -1))
  let shape = dims.slice()
  if (unknown === 1) {
    if (known === 0 || data.length % known !== 0) {
      throw new RangeError(
        `reshape: cannot reshape a tensor of shape ${formatDims(tensor.dims)} to ${formatDims(dims)}`
      )
    }
    shape = dims.map((d) => (d === -1 ? data.length / known : d))
  }
  if (numel(shape) !== data.length) {
    throw new RangeError(
      `reshape: a tensor of shape ${formatDims(tensor.dims)} (${data.length} values) cannot take shape ${formatDims(dims)}`
    )
  }
  return tensorOf(tensor.type, data, shape)
}

/** `tensor.unsqueeze(dim)`: a new axis of size 1 at `dim` (data shared). */
export function unsqueeze(tensor: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, rankOf(tensor, 'unsqueeze'), 'unsqueeze', 1)
  return reshape(tensor, [...tensor.dims.slice(0, d), 1, ...tensor.dims.slice(d)])
}

/**
 * `tensor.squeeze(dim?)`: without `dim`, every axis of size 1 removed; with it, that axis if its
 * size is 1 (otherwise the shape is unchanged, as in torch). Data shared.
 */
export function squeeze(tensor: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      tensor,
      tensor.dims.filter((size) => size !== 1)
    )
  const d = normalizeDim(dim, rankOf(tensor, 'squeeze'), 'squeeze')
  if (tensor.dims[d] !== 1) return reshape(tensor, tensor.dims)
  return reshape(
    tensor,
    tensor.dims.filter((_, k) => k !== d)
  )
}
