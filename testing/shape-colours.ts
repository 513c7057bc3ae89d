/**
 * Reads the colours of a picture of the shipped model (resources/models/stepwise-shapes-64) the
 * way tools/shapes.py's `check_image` does: background = the training-palette colour nearest the
 * median of the 2-pixel border; foreground = the most common palette colour (other than that)
 * among pixels more than 40 levels from the border's median. Used by the engine's preview tests
 * and the e2e tests that read the app's canvases.
 */

/** An RGBA picture, row-major (a canvas's ImageData, an engine image). */
export interface RgbaPixels {
  width: number
  height: number
  data: ArrayLike<number>
}

/** The training palette (tools/shapes.py). */
export const SHAPE_PALETTE: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  green: [30, 160, 40],
  blue: [30, 60, 220],
  yellow: [240, 220, 30],
  orange: [250, 140, 20],
  purple: [140, 40, 190],
  white: [240, 240, 240],
  black: [20, 20, 20]
}

/** The palette colour nearest `rgb`. */
export function nearestPaletteColour(rgb: readonly number[]): string {
  let best = ''
  let bestD = Infinity
  for (const [name, p] of Object.entries(SHAPE_PALETTE)) {
    const d = p.reduce((s, v, c) => s + (v - (rgb[c] as number)) ** 2, 0)
    if (d < bestD) [best, bestD] = [name, d]
  }
  return best
}

/** Foreground (null when fewer than 8 pixels stand out) and background colour names. */
export function readShapeColours(img: RgbaPixels): { fg: string | null; bg: string } {
  const px = (x: number, y: number): number[] => {
    const o = (y * img.width + x) * 4
    return [img.data[o] as number, img.data[o + 1] as number, img.data[o + 2] as number]
  }
  const border: number[][] = []
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (x < 2 || y < 2 || x >= img.width - 2 || y >= img.height - 2) border.push(px(x, y))
    }
  }
  const med = [0, 1, 2].map((c) => {
    const v = border.map((p) => p[c] as number).sort((a, b) => a - b)
    return v[Math.floor(v.length / 2)] as number
  })
  const bg = nearestPaletteColour(med)
  const counts = new Map<string, number>()
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const p = px(x, y)
      if (Math.hypot(...p.map((v, c) => v - (med[c] as number))) <= 40) continue
      const name = nearestPaletteColour(p)
      if (name !== bg) counts.set(name, (counts.get(name) ?? 0) + 1)
    }
  }
  const fg = [...counts].sort((a, b) => b[1] - a[1])[0]
  return { fg: fg === undefined || fg[1] < 8 ? null : fg[0], bg }
}
