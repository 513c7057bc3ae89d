import { describe, expect, it } from 'vitest'
import {
  emptyMask,
  hasRepaint,
  invertMask,
  maskFromRgba,
  maskToRgba,
  paintStroke,
  repaintFraction
} from './mask-ops'

describe('mask operations', () => {
  it('paints a disc with the brush and removes it with the eraser', () => {
    const mask = emptyMask(16, 16)
    paintStroke(mask, 8, 8, 3, 255)
    expect(mask.data[8 * 16 + 8]).toBe(255)
    expect(mask.data[0]).toBe(0)
    expect(repaintFraction(mask)).toBeGreaterThan(0.1)
    paintStroke(mask, 8, 8, 4, 0)
    expect(hasRepaint(mask)).toBe(false)
  })

  it('a stroke from one point to another leaves no gap', () => {
    const mask = emptyMask(40, 8)
    paintStroke(mask, 2, 4, 1, 255)
    paintStroke(mask, 38, 4, 1, 255, { x: 2, y: 4 })
    for (let x = 2; x < 38; x++) expect(mask.data[4 * 40 + x]).toBe(255)
  })

  it('invert swaps repaint and keep; PNG pixels round-trip', () => {
    const mask = emptyMask(4, 2)
    paintStroke(mask, 0.5, 0.5, 0.6, 255)
    const inverted = invertMask(mask)
    expect(Array.from(inverted.data)).toEqual(Array.from(mask.data, (v) => 255 - v))
    const back = maskFromRgba(4, 2, maskToRgba(inverted))
    expect(Array.from(back.data)).toEqual(Array.from(inverted.data))
  })
})
