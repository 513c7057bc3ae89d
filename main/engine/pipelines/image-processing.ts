import { Tensor } from 'onnxruntime-node'
import type { RgbaImage } from '../previews/latents-to-rgb'
import { float32Data, floatTensor, formatDims, isTensor } from '../tensor/float-tensor'
import { lanczosResize } from './lanczos-resize'

/**
 * An input picture of an image pipeline: RGBA pixels (alpha is ignored, as Pillow's RGB
 * conversion drops it), or a tensor — `[B, 3, H, W]` pixels in [0, 1] (diffusers' convention;
 * values below 0 are taken as already in [-1, 1], as diffusers does), or `[B, 4, h, w]` latents,
 * which are used as they are.
 */
export type PipelineImageInput = RgbaImage | Tensor

/**
 * A mask: RGBA pixels (converted to grey as Pillow's `convert("L")` does; white = repaint), or a
 * tensor `[B, 1, H, W]`, `[1, H, W]` or `[H, W]` in [0, 1].
 */
export type PipelineMaskInput = RgbaImage | Tensor

/** An RGBA picture: `{ width, height, data }` with 4 bytes per pixel. */
export function isRgbaImage(value: unknown): value is RgbaImage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<RgbaImage>
  return (
    typeof v.width === 'number' &&
    typeof v.height === 'number' &&
    v.data instanceof Uint8Array &&
    Number.isInteger(v.width) &&
    Number.isInteger(v.height) &&
    v.width > 0 &&
    v.height > 0 &&
    v.data.length === v.width * v.height * 4
  )
}

/**
 * The size a picture is processed at: the requested one rounded down to `multiple` (diffusers'
 * VAE scale factor), or its own rounded down to `ownMultiple` (the model's size multiple, so a
 * picture of any size gives a size the UNet accepts; a requested size is checked against it).
 */
export function processedSize(
  image: { width: number; height: number },
  height: number | null | undefined,
  width: number | null | undefined,
  multiple: number,
  ownMultiple = multiple
): { height: number; width: number } {
  const round = (v: number, m: number): number => v - (v % m)
  return {
    height:
      height === null || height === undefined
        ? round(image.height, ownMultiple)
        : round(height, multiple),
    width:
      width === null || width === undefined
        ? round(image.width, ownMultiple)
        : round(width, multiple)
  }
}

function describeInput(value: unknown): string {
  if (isTensor(value)) return `a ${value.type} Tensor of shape ${formatDims(value.dims)}`
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object that is not an RGBA image'
  return `a ${typeof value}`
}

/** The RGB channels of an RGBA picture, interleaved. */
function rgbOf(image: RgbaImage): Uint8Array {
  const n = image.width * image.height
  const out = new Uint8Array(n * 3)
  for (let p = 0; p < n; p++) {
    out[p * 3] = image.data[p * 4] as number
    out[p * 3 + 1] = image.data[p * 4 + 1] as number
    out[p * 3 + 2] = image.data[p * 4 + 2] as number
  }
  return out
}

/** Pillow's RGB(A) → L conversion: `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`. */
export function greyOf(image: RgbaImage): Uint8Array {
  const n = image.width * image.height
  const out = new Uint8Array(n)
  for (let p = 0; p < n; p++) {
    const r = image.data[p * 4] as number
    const g = image.data[p * 4 + 1] as number
    const b = image.data[p * 4 + 2] as number
    out[p] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16
  }
  return out
}

/**
 * diffusers' `VaeImageProcessor.preprocess` for an input picture: resized with Pillow's Lanczos
 * filter to `height × width` (rounded down to a multiple of the VAE scale factor; default its own
 * size, rounded down to `ownMultiple`, the model's size multiple), scaled to [0, 1] in float32 and normalised to [-1, 1], as `[1, 3, H, W]`. A
 * 4-channel tensor (latents) is returned as it is; a 3-channel pixel tensor must already have the
 * size.
 */
export function preprocessImage(
  image: PipelineImageInput,
  size: { height?: number | null; width?: number | null },
  multiple: number,
  ownMultiple = multiple
): Tensor {
  if (isTensor(image)) {
    if (image.type !== 'float32' || image.dims.length !== 4) {
      throw new Error(
        `image must be an RGBA image or a float32 tensor [batch, 3 or 4, height, width], but is ${describeInput(image)}`
      )
    }
    const channels = image.dims[1]
    if (channels === 4) return image
    if (channels !== 3) {
      throw new Error(
        `image has ${channels} channels (shape ${formatDims(image.dims)}); pass 3-channel pixels or 4-channel latents`
      )
    }
    const want = processedSize(
      { height: image.dims[2] as number, width: image.dims[3] as number },
      size.height,
      size.width,
      multiple,
      ownMultiple
    )
    if (want.height !== image.dims[2] || want.width !== image.dims[3]) {
      throw new Error(
        `image is a ${image.dims[3]}×${image.dims[2]} tensor but the run is ${want.width}×${want.height}; resize it first or pass an RGBA image`
      )
    }
    const data = float32Data(image, 'image')
    let min = Infinity
    for (const v of data) if (v < min) min = v
    if (min < 0) return image
    const out = new Float32Array(data.length)
    for (let i = 0; i < data.length; i++) {
      out[i] = Math.fround(Math.fround(2 * (data[i] as number)) - 1)
    }
    return floatTensor(out, image.dims)
  }
  if (!isRgbaImage(image)) {
    throw new Error(`image must be an RGBA image or a tensor, but is ${describeInput(image)}`)
  }
  const { height, width } = processedSize(image, size.height, size.width, multiple, ownMultiple)
  checkSize(height, width, 'image')
  const rgb = lanczosResize(rgbOf(image), image.width, image.height, 3, width, height)
  const plane = width * height
  const out = new Float32Array(plane * 3)
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const unit = Math.fround((rgb[p * 3 + c] as number) / 255)
      out[c * plane + p] = Math.fround(Math.fround(2 * unit) - 1)
    }
  }
  return floatTensor(out, [1, 3, height, width])
}

/**
 * diffusers' mask processor (`do_normalize=False, do_binarize=True, do_convert_grayscale=True`):
 * grey, resized with Pillow's Lanczos filter to `height × width`, scaled to [0, 1], then 0 below
 * 0.5 and 1 from 0.5 on, as `[1, 1, H, W]`. A tensor mask is binarised as it is (it must have the
 * size already).
 */
export function preprocessMask(
  mask: PipelineMaskInput,
  size: { height: number; width: number },
  multiple: number
): Tensor {
  const { height, width } = processedSize(size, size.height, size.width, multiple)
  if (isTensor(mask)) {
    const dims = mask.dims
    const shaped =
      dims.length === 2 ? [1, 1, ...dims] : dims.length === 3 ? [1, ...dims] : [...dims]
    if (mask.type !== 'float32' || shaped.length !== 4 || shaped[1] !== 1) {
      throw new Error(
        `maskImage must be an RGBA image or a float32 tensor [batch, 1, height, width], but is ${describeInput(mask)}`
      )
    }
    if (shaped[2] !== height || shaped[3] !== width) {
      throw new Error(
        `maskImage is a ${shaped[3]}×${shaped[2]} tensor but the run is ${width}×${height}; resize it first or pass an RGBA image`
      )
    }
    const data = float32Data(mask, 'maskImage')
    return floatTensor(
      data.map((v) => (v < 0.5 ? 0 : 1)),
      shaped
    )
  }
  if (!isRgbaImage(mask)) {
    throw new Error(`maskImage must be an RGBA image or a tensor, but is ${describeInput(mask)}`)
  }
  checkSize(height, width, 'maskImage')
  const grey = lanczosResize(greyOf(mask), mask.width, mask.height, 1, width, height)
  const out = new Float32Array(grey.length)
  for (let i = 0; i < grey.length; i++) {
    out[i] = Math.fround((grey[i] as number) / 255) < 0.5 ? 0 : 1
  }
  return floatTensor(out, [1, 1, height, width])
}

function checkSize(height: number, width: number, what: string): void {
  if (height <= 0 || width <= 0) {
    throw new Error(
      `${what} would be processed at ${width}×${height}: a size below the VAE's scale factor cannot be encoded`
    )
  }
}

/**
 * torch's `interpolate(mask, size)` (mode "nearest"): source index `floor(dst · in / out)` per
 * axis, as diffusers brings the mask to the latent size.
 */
export function nearestResize(mask: Tensor, height: number, width: number): Tensor {
  const [b, c, h, w] = mask.dims as [number, number, number, number]
  const src = float32Data(mask, 'mask')
  const out = new Float32Array(b * c * height * width)
  const sy = Math.fround(h / height)
  const sx = Math.fround(w / width)
  for (let n = 0; n < b * c; n++) {
    for (let y = 0; y < height; y++) {
      const iy = Math.min(Math.floor(Math.fround(y * sy)), h - 1)
      for (let x = 0; x < width; x++) {
        const ix = Math.min(Math.floor(Math.fround(x * sx)), w - 1)
        out[(n * height + y) * width + x] = src[(n * h + iy) * w + ix] as number
      }
    }
  }
  return new Tensor('float32', out, [b, c, height, width])
}
