import type { RgbaImage } from '../contract'
import { paintRgba } from './paint-rgba'

/** The bytes of a PNG encoding of RGBA pixels (through a canvas). */
export function rgbaToPngBytes(image: RgbaImage): Promise<Uint8Array> {
  const canvas = document.createElement('canvas')
  paintRgba(canvas, image)
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (blob === null) reject(new Error('the picture could not be encoded as PNG'))
      else blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject)
    }, 'image/png')
  })
}

/** Decodes PNG/JPEG bytes to RGBA pixels (the browser's decoder). */
export async function bytesToRgba(bytes: Uint8Array, type = 'image/png'): Promise<RgbaImage> {
  const blob = new Blob([bytes.slice().buffer], { type })
  const bitmap = await createImageBitmap(blob)
  const canvas = document.createElement('canvas')
  canvas.width = bitmap.width
  canvas.height = bitmap.height
  const context = canvas.getContext('2d')
  if (context === null) throw new Error('no 2D canvas to read the picture')
  context.drawImage(bitmap, 0, 0)
  const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data
  return { width: bitmap.width, height: bitmap.height, rgba: new Uint8Array(data.buffer) }
}

/** Whether a dropped or pasted file is a picture the app takes (PNG or JPEG). */
export function isPictureFile(file: File): boolean {
  return /^image\/(png|jpeg)$/.test(file.type) || /\.(png|jpe?g)$/i.test(file.name)
}
