import type { Tensor } from 'onnxruntime-node'
import { formatDims } from './float-tensor'
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
 * torch-style indexing on onnxruntime tensors of any numeric type. Unlike torch, which returns
 * views, every result here owns a copy of its values: writing into it leaves the input alone.
 */

/** Copies `count` rows `start, start + step, …` along `dim`. */
function takeAlong(
  t: Tensor,
  op: string,
  dim: number,
  start: number,
  count: number,
  step = 1
): Tensor {
  const src = numericData(t, op)
  const size = t.dims[dim] as number
  const { outer, inner } = splitAt(t.dims, dim)
  const out = allocateLike(src, outer * count * inner)
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner
    const dest = o * count * inner
    if (step === 1) {
      copyRange(out, src, base + start * inner, base + (start + count) * inner, dest)
      continue
    }
    for (let k = 0; k < count; k++) {
      const row = base + (start + k * step) * inner
      copyRange(out, src, row, row + inner, dest + k * inner)
    }
  }
  const dims = t.dims.slice()
  dims[dim] = count
  return tensorOf(t.type, out, dims)
}

/**
 * `torch.narrow(tensor, dim, start, length)`: `length` consecutive entries along `dim` from
 * `start` (negative `start` counts from the end). Throws if they do not all exist.
 *
 * ```ts
 * narrow(latents, 0, -1, 1) // latents[-1:], the last image, batch axis kept
 * ```
 */
export function narrow(tensor: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, rankOf(tensor, 'narrow'), 'narrow')
  const size = tensor.dims[d] as number
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new RangeError(
      `narrow: start ${start} is out of range for dimension ${dim} of size ${size} (allowed: ${-size}…${size})`
    )
  }
  const s = start < 0 ? start + size : start
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new RangeError(
      `narrow: start ${s} + length ${length} exceeds dimension ${dim} of size ${size}`
    )
  }
  return takeAlong(tensor, 'narrow', d, s, length)
}

/**
 * Python slicing along one axis, `tensor[start:end:step]` on `dim`: negative indices count from
 * the end, out-of-range ones are clipped, `null`/`undefined` means "from the start" / "to the
 * end", `step` is a positive integer.
 *
 * ```ts
 * slice(latents, -1)            // latents[-1:]
 * slice(promptEmbeds, 0, 77, 1) // prompt_embeds[:, :77]
 * slice(x, null, null, 0, 2)    // x[::2]
 * ```
 */
export function slice(
  tensor: Tensor,
  start?: number | null,
  end?: number | null,
  dim = 0,
  step = 1
): Tensor {
  const d = normalizeDim(dim, rankOf(tensor, 'slice'), 'slice')
  if (!Number.isInteger(step) || step <= 0) {
    throw new RangeError(`slice: step must be a positive integer, got ${step}`)
  }
  for (const [name, value] of [
    ['start', start],
    ['end', end]
  ] as const) {
    if (value != null && !Number.isInteger(value)) {
      throw new TypeError(`slice: ${name} must be an integer, null or undefined, got ${value}`)
    }
  }
  const size = tensor.dims[d] as number
  const clip = (i: number): number => Math.min(size, Math.max(0, i < 0 ? i + size : i))
  const s = start == null ? 0 : clip(start)
  const e = end == null ? size : clip(end)
  const count = e > s ? Math.ceil((e - s) / step) : 0
  return takeAlong(tensor, 'slice', d, s, count, step)
}

/**
 * `torch.select(tensor, dim, index)`: the entries at `index` along `dim`, with that axis removed
 * (negative `index` counts from the end).
 */
export function select(tensor: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, rankOf(tensor, 'select'), 'select')
  const size = tensor.dims[d] as number
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(
      `select: index ${index} is out of range for dimension ${dim} of size ${size} in a tensor of shape ${formatDims(tensor.dims)}`
    )
  }
  const picked = takeAlong(tensor, 'select', d, index < 0 ? index + size : index, 1)
  const dims = tensor.dims.filter((_, k) => k !== d)
  return tensorOf(picked.type, numericData(picked, 'select'), dims)
}

/**
 * `tensor[i]`: item `i` along the first axis, that axis removed — e.g. the first image of a
 * batch, `index(latents, 0)` for `latents[0]`. Negative `i` counts from the end.
 */
export function index(tensor: Tensor, i: number): Tensor {
  if (rankOf(tensor, 'index') === 0) {
    throw new RangeError('index: a scalar tensor cannot be indexed')
  }
  return select(tensor, 0, i)
}

/**
 * `torch.chunk(tensor, chunks, dim)`: consecutive pieces of `ceil(size / chunks)` entries along
 * `dim`, the last one possibly smaller — so there can be fewer than `chunks` pieces, as in torch.
 *
 * ```ts
 * const [uncond, text] = chunk(noisePred, 2) // noise_pred.chunk(2)
 * chunk(promptEmbeds, 2).at(-1)              // prompt_embeds.chunk(2)[-1]
 * ```
 */
export function chunk(tensor: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`)
  }
  const d = normalizeDim(dim, rankOf(tensor, 'chunk'), 'chunk')
  const size = tensor.dims[d] as number
  if (size === 0) {
    return Array.from({ length: chunks }, () => takeAlong(tensor, 'chunk', d, 0, 0))
  }
  const piece = Math.ceil(size / chunks)
  const out: Tensor[] = []
  for (let s = 0; s < size; s += piece) {
    out.push(takeAlong(tensor, 'chunk', d, s, Math.min(piece, size - s)))
  }
  return out
}
