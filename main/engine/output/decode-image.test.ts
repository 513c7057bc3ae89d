import jpeg from 'jpeg-js'
import { describe, expect, it } from 'vitest'
import { decodeImage, isGreyscale } from './decode-image'
import { encodePng } from './png'

const pixels = (w: number, h: number): Uint8Array =>
  Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256))

describe('decodeImage', () => {
  it('decodes PNG and JPEG by their signature, whatever the name', () => {
    const png = decodeImage(encodePng({ width: 3, height: 2, data: pixels(3, 2) }))
    expect(png).toMatchObject({ width: 3, height: 2, format: 'png' })
    expect(Array.from(png.data)).toEqual(Array.from(pixels(3, 2)))
    const grey = new Uint8Array(16 * 16 * 4).fill(128)
    const bytes = jpeg.encode({ width: 16, height: 16, data: Buffer.from(grey) }, 90).data
    const decoded = decodeImage(new Uint8Array(bytes))
    expect(decoded).toMatchObject({ width: 16, height: 16, format: 'jpeg' })
    expect(Math.abs((decoded.data[0] as number) - 128)).toBeLessThan(3)
  })

  it('says what is wrong: empty, not a picture, damaged, too large (before decoding)', () => {
    expect(() => decodeImage(new Uint8Array(0), 'the mask')).toThrow('the mask is an empty file')
    expect(() => decodeImage(new TextEncoder().encode('GIF89a...'))).toThrow(
      'the image is not a PNG or JPEG picture'
    )
    const png = encodePng({ width: 8, height: 8, data: pixels(8, 8) })
    expect(() => decodeImage(png.subarray(0, 60))).toThrow(/is a damaged PNG file/)
    const huge = Uint8Array.from(png)
    new DataView(huge.buffer).setUint32(16, 100_000)
    expect(() => decodeImage(huge)).toThrow(/is 100000×8 pixels, too large/)
  })

  it('tells a grey mask from a coloured one', () => {
    expect(isGreyscale({ data: Uint8Array.of(5, 5, 5, 255, 9, 9, 9, 0) })).toBe(true)
    expect(isGreyscale({ data: Uint8Array.of(5, 5, 6, 255) })).toBe(false)
  })
})
