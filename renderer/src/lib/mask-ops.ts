/**
 * The inpainting mask as the editor keeps it: one byte per pixel of the input picture, 255 where
 * the picture is repainted and 0 where it is kept. Pure functions, so strokes, invert and undo
 * are tested without a canvas.
 */

/** A mask the size of the input picture. */
export interface Mask {
  width: number
  height: number
  data: Uint8Array
}

/** An empty mask (everything kept). */
export function emptyMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) }
}

/**
 * Paints a filled disc of `radius` pixels at (x, y) — 255 with the brush, 0 with the eraser —
 * and, when `from` is given, every disc along the segment from there, so a fast stroke leaves no
 * gaps. Changes `mask` in place.
 */
export function paintStroke(
  mask: Mask,
  x: number,
  y: number,
  radius: number,
  value: 0 | 255,
  from?: { x: number; y: number }
): void {
  const points: { x: number; y: number }[] = []
  if (from === undefined) points.push({ x, y })
  else {
    const distance = Math.hypot(x - from.x, y - from.y)
    const count = Math.max(1, Math.ceil(distance / Math.max(0.5, radius / 2)))
    for (let i = 1; i <= count; i++) {
      points.push({
        x: from.x + ((x - from.x) * i) / count,
        y: from.y + ((y - from.y) * i) / count
      })
    }
  }
  const r2 = radius * radius
  for (const p of points) {
    const x0 = Math.max(0, Math.floor(p.x - radius))
    const x1 = Math.min(mask.width - 1, Math.ceil(p.x + radius))
    const y0 = Math.max(0, Math.floor(p.y - radius))
    const y1 = Math.min(mask.height - 1, Math.ceil(p.y + radius))
    for (let yy = y0; yy <= y1; yy++) {
      for (let xx = x0; xx <= x1; xx++) {
        const dx = xx + 0.5 - p.x
        const dy = yy + 0.5 - p.y
        if (dx * dx + dy * dy <= r2) mask.data[yy * mask.width + xx] = value
      }
    }
  }
}

/** The mask with repaint and keep swapped. */
export function invertMask(mask: Mask): Mask {
  return { ...mask, data: mask.data.map((v) => 255 - v) }
}

/** Whether any pixel is to be repainted (an empty mask means plain image-to-image). */
export function hasRepaint(mask: Mask): boolean {
  return mask.data.some((v) => v !== 0)
}

/** The share of the picture to be repainted, 0–1. */
export function repaintFraction(mask: Mask): number {
  let n = 0
  for (const v of mask.data) if (v !== 0) n++
  return mask.data.length === 0 ? 0 : n / mask.data.length
}

/** The mask as opaque grey RGBA (white repaints), for a PNG file. */
export function maskToRgba(mask: Mask): Uint8Array {
  const out = new Uint8Array(mask.width * mask.height * 4)
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i] as number
    out.set([v, v, v, 255], i * 4)
  }
  return out
}

/** A mask read back from RGBA pixels (a stored mask PNG): grey ≥ 128 repaints. */
export function maskFromRgba(width: number, height: number, rgba: Uint8Array): Mask {
  const data = new Uint8Array(width * height)
  for (let i = 0; i < data.length; i++) {
    const grey =
      ((rgba[i * 4] as number) * 299 +
        (rgba[i * 4 + 1] as number) * 587 +
        (rgba[i * 4 + 2] as number) * 114) /
      1000
    data[i] = grey >= 128 ? 255 : 0
  }
  return { width, height, data }
}

/** The overlay the editor draws over the picture: translucent red where the mask repaints. */
export function maskOverlayRgba(mask: Mask): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(new ArrayBuffer(mask.width * mask.height * 4))
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 0) out.set([255, 40, 60, 140], i * 4)
  }
  return out
}
