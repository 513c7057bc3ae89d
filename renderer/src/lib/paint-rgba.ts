import type { RgbaImage } from '../contract'

/**
 * Paints raw RGBA pixels onto a canvas at their own resolution (the canvas is resized to match);
 * CSS scales the canvas up. No image encoding is involved: this is what makes a preview per step
 * cheap enough to show every step.
 */
export function paintRgba(canvas: HTMLCanvasElement, image: RgbaImage): void {
  if (canvas.width !== image.width) canvas.width = image.width
  if (canvas.height !== image.height) canvas.height = image.height
  const context = canvas.getContext('2d')
  if (context === null) return
  const { rgba } = image
  // View the bytes in place when they own a plain ArrayBuffer; ImageData refuses shared memory.
  const pixels =
    rgba.buffer instanceof ArrayBuffer
      ? new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength)
      : new Uint8ClampedArray(rgba)
  context.putImageData(new ImageData(pixels, image.width, image.height), 0, 0)
}

/** Encodes an image as PNG (no text chunks: history's own PNG carries the parameters). */
export function rgbaToPngBlob(image: RgbaImage): Promise<Blob> {
  const canvas = document.createElement('canvas')
  paintRgba(canvas, image)
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (blob === null) reject(new Error('the image could not be encoded'))
      else resolve(blob)
    }, 'image/png')
  })
}

/** Encodes an image once as PNG and returns a blob URL (for the final image, not for previews). */
export async function rgbaToObjectUrl(image: RgbaImage): Promise<string> {
  return URL.createObjectURL(await rgbaToPngBlob(image))
}
