import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage, MAX_WIRE_DEPTH, WireCodecError } from './wire-codec'

function frame(header: unknown, ...blobs: Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(4 + json.length + blobs.reduce((n, b) => n + b.length, 0))
  new DataView(out.buffer).setUint32(0, json.length, true)
  out.set(json, 4)
  let offset = 4 + json.length
  for (const b of blobs) {
    out.set(b, offset)
    offset += b.length
  }
  return out
}

describe('wire codec', () => {
  it('round-trips JSON values and binary blobs without base64', () => {
    const rgba = new Uint8Array(64 * 64 * 4).map((_, i) => i % 251)
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47)
    const buffer = Uint8Array.of(1, 2, 3).buffer
    const clamped = Uint8ClampedArray.of(0, 128, 255)
    const value = {
      type: 'event',
      event: { type: 'job:step', index: 3, cfg: true, preview: { width: 64, height: 64, rgba } },
      list: [png, null, 'x', 1.5, { buffer }],
      clamped,
      nested: { deep: [[[true]]] },
      text: 'ünïcödé ✓'
    }
    const encoded = encodeMessage(value)
    // The blobs travel raw: the frame is barely larger than the pixels themselves.
    expect(encoded.length).toBeLessThan(rgba.length + png.length + 3 + 3 + 400)
    const decoded = decodeMessage(encoded) as typeof value
    expect(decoded.event.preview.rgba).toBeInstanceOf(Uint8Array)
    expect(decoded.event.preview.rgba).toEqual(rgba)
    expect(decoded.list[0]).toEqual(png)
    expect(decoded.list.slice(1, 4)).toEqual([null, 'x', 1.5])
    expect((decoded.list[4] as { buffer: ArrayBuffer }).buffer).toBeInstanceOf(ArrayBuffer)
    expect(new Uint8Array((decoded.list[4] as { buffer: ArrayBuffer }).buffer)).toEqual(
      Uint8Array.of(1, 2, 3)
    )
    expect(decoded.clamped).toBeInstanceOf(Uint8ClampedArray)
    expect([...decoded.clamped]).toEqual([0, 128, 255])
    expect(decoded.nested).toEqual(value.nested)
    expect(decoded.text).toBe(value.text)
  })

  it('accepts ArrayBuffer input and decodes an empty blob', () => {
    const encoded = encodeMessage({ a: new Uint8Array(0) })
    const decoded = decodeMessage(encoded.slice().buffer) as { a: Uint8Array }
    expect(decoded.a).toEqual(new Uint8Array(0))
  })

  it('follows JSON for undefined, functions and non-finite numbers', () => {
    const decoded = decodeMessage(
      encodeMessage({ a: undefined, b: () => 1, c: [undefined, NaN, Infinity], d: 0 })
    )
    expect(decoded).toEqual({ c: [null, null, null], d: 0 })
    expect(decodeMessage(encodeMessage(undefined))).toBeNull()
    expect(decodeMessage(encodeMessage('plain'))).toBe('plain')
  })

  it('escapes keys that look like blob markers, so data cannot forge them', () => {
    const value = { $u8: 0, $$x: 'two', $: 'one', __proto__x: 1, nested: { $ab: 'text' } }
    expect(decodeMessage(encodeMessage(value))).toEqual(value)
    const proto = JSON.parse('{"__proto__": {"polluted": true}}') as object
    const decoded = decodeMessage(encodeMessage(proto)) as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(Object.keys(decoded)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('refuses values it cannot carry', () => {
    expect(() => encodeMessage({ a: new Float32Array(2) })).toThrow(WireCodecError)
    expect(() => encodeMessage({ a: new Float32Array(2) })).toThrow(/Float32Array cannot be sent/)
    expect(() => encodeMessage({ a: 1n })).toThrow(/bigint/)
    expect(() => encodeMessage(new Map())).toThrow(/Map objects cannot be sent/)
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    expect(() => encodeMessage(cyclic)).toThrow(/deeper than/)
    expect(decodeMessage(encodeMessage({ when: new Date(0) }))).toEqual({
      when: '1970-01-01T00:00:00.000Z'
    })
  })

  it('rejects malformed frames with a specific message', () => {
    const bad: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(2), /shorter than its 4-byte header/],
      [Uint8Array.of(255, 0, 0, 0, 1), /exceeds the frame/],
      [frame('nope').subarray(0, 7), /exceeds the frame|not UTF-8 JSON/],
      [frame([1, 2]), /must be an object with "v" and "b"/],
      [frame({ v: 1, b: [-1] }), /list of blob lengths/],
      [frame({ v: 1, b: 'x' }), /list of blob lengths/],
      [frame({ v: 1, b: [3] }, Uint8Array.of(1)), /add up to 3 bytes but the frame carries 1/],
      [frame({ v: { $u8: 1 }, b: [1] }, Uint8Array.of(1)), /names blob 1 of 1/],
      [frame({ v: { $u8: 'a' }, b: [] }), /needs a blob index/],
      [frame({ v: { $u8: 0, other: 1 }, b: [1] }, Uint8Array.of(1)), /malformed marker/],
      [frame({ v: { $evil: 0 }, b: [] }), /unknown or malformed marker "\$evil"/],
      [frame({ v: [{ $u8: 0 }, { $u8: 0 }], b: [1] }, Uint8Array.of(1)), /referenced twice/],
      [frame({ v: null, b: [1] }, Uint8Array.of(1)), /1 blob\(s\) are not referenced/]
    ]
    for (const [bytes, message] of bad) {
      expect(() => decodeMessage(bytes)).toThrow(WireCodecError)
      expect(() => decodeMessage(bytes)).toThrow(message)
    }
    const invalidUtf8 = frame({ v: 1, b: [] })
    invalidUtf8[6] = 0xff
    expect(() => decodeMessage(invalidUtf8)).toThrow(/not UTF-8 JSON/)
  })

  it('bounds nesting when decoding untrusted frames', () => {
    let deep: unknown = 1
    for (let i = 0; i <= MAX_WIRE_DEPTH + 1; i++) deep = [deep]
    expect(() => decodeMessage(frame({ v: deep, b: [] }))).toThrow(/deeper than 64/)
  })

  it('decodes Uint8Arrays as views into the frame (no copy)', () => {
    const encoded = encodeMessage({ p: Uint8Array.of(9, 8, 7) })
    const decoded = decodeMessage(encoded) as { p: Uint8Array }
    expect(decoded.p.buffer).toBe(encoded.buffer)
  })
})
