/**
 * The browser-mode WebSocket's message codec: a JSON header plus raw binary blobs, so previews
 * and PNGs travel as bytes (no base64, no 33 % inflation, no string building per step).
 *
 * Frame layout (little-endian):
 *
 * ```
 * u32 headerLength | header: UTF-8 JSON {"v": value, "b": [blobLength, …]} | blob 0 | blob 1 | …
 * ```
 *
 * Inside `v`, every `Uint8Array` becomes `{"$u8": i}`, every `Uint8ClampedArray` `{"$u8c": i}`
 * and every `ArrayBuffer` `{"$ab": i}`, where `i` indexes the blobs. So that such markers cannot
 * be forged by data, object keys starting with `$` are escaped by doubling the `$` (`"$x"` is sent
 * as `"$$x"`), and a single-`$` key is only ever a marker. Otherwise the value follows JSON's
 * rules (undefined properties are dropped, undefined array items become null).
 *
 * Decoding treats its input as untrusted (the server decodes what pages send): every length,
 * index and marker is checked, nesting is bounded, and any problem is a {@link WireCodecError}.
 * Decoded `Uint8Array`s are views into the received frame (no copy); `ArrayBuffer`s are copies.
 */

/** A frame that could not be encoded or decoded, with what was wrong. */
export class WireCodecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WireCodecError'
  }
}

/** Deepest nesting of arrays/objects accepted in either direction. */
export const MAX_WIRE_DEPTH = 64

const MARKERS = ['$u8', '$u8c', '$ab'] as const
type Marker = (typeof MARKERS)[number]

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Sets an own property even for the key "__proto__" (plain assignment would change the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true
  })
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Encodes `value` as one binary frame. Throws {@link WireCodecError} for unsupported values. */
export function encodeMessage(value: unknown): Uint8Array {
  const blobs: Uint8Array[] = []
  const blob = (marker: Marker, bytes: Uint8Array): Record<string, number> => {
    blobs.push(bytes)
    return { [marker]: blobs.length - 1 }
  }

  const walk = (item: unknown, depth: number, inArray: boolean): unknown => {
    if (depth > MAX_WIRE_DEPTH) {
      throw new WireCodecError(`value nests deeper than ${MAX_WIRE_DEPTH} levels (or is cyclic)`)
    }
    if (item === null || typeof item === 'string' || typeof item === 'boolean') return item
    if (typeof item === 'number') return Number.isFinite(item) ? item : null
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') {
      return inArray ? null : undefined
    }
    if (typeof item === 'bigint') throw new WireCodecError('bigint values cannot be sent')
    if (item instanceof Uint8Array) return blob('$u8', item)
    if (item instanceof Uint8ClampedArray) {
      return blob('$u8c', new Uint8Array(item.buffer, item.byteOffset, item.byteLength))
    }
    if (item instanceof ArrayBuffer) return blob('$ab', new Uint8Array(item))
    if (ArrayBuffer.isView(item)) {
      throw new WireCodecError(
        `${item.constructor.name} cannot be sent (allowed binary: Uint8Array, Uint8ClampedArray, ArrayBuffer)`
      )
    }
    if (Array.isArray(item)) return item.map((x) => walk(x, depth + 1, true))
    if (!isPlainObject(item)) {
      const named = item as { toJSON?: () => unknown }
      if (typeof named.toJSON === 'function') return walk(named.toJSON(), depth + 1, inArray)
      throw new WireCodecError(`${item.constructor.name} objects cannot be sent`)
    }
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(item)) {
      const encoded = walk(child, depth + 1, false)
      if (encoded !== undefined) setOwn(out, key.startsWith('$') ? `$${key}` : key, encoded)
    }
    return out
  }

  const v = walk(value, 0, false)
  const header = encoder.encode(JSON.stringify({ v: v ?? null, b: blobs.map((b) => b.length) }))
  const total = 4 + header.length + blobs.reduce((n, b) => n + b.length, 0)
  const frame = new Uint8Array(total)
  new DataView(frame.buffer).setUint32(0, header.length, true)
  frame.set(header, 4)
  let offset = 4 + header.length
  for (const b of blobs) {
    frame.set(b, offset)
    offset += b.length
  }
  return frame
}

/** A plain Uint8Array over the frame (a Node Buffer's subarrays would be Buffers). */
function toBytes(frame: Uint8Array | ArrayBuffer): Uint8Array {
  return frame instanceof Uint8Array
    ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
    : new Uint8Array(frame)
}

/** Decodes one frame made by {@link encodeMessage}. Throws {@link WireCodecError} if malformed. */
export function decodeMessage(frame: Uint8Array | ArrayBuffer): unknown {
  const bytes = toBytes(frame)
  if (bytes.length < 4) throw new WireCodecError('frame is shorter than its 4-byte header length')
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true)
  if (headerLength > bytes.length - 4) {
    throw new WireCodecError(
      `header length ${headerLength} exceeds the frame (${bytes.length - 4} bytes after it)`
    )
  }
  let header: unknown
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength)))
  } catch {
    throw new WireCodecError('header is not UTF-8 JSON')
  }
  if (typeof header !== 'object' || header === null || !('v' in header) || !('b' in header)) {
    throw new WireCodecError('header must be an object with "v" and "b"')
  }
  const lengths = (header as { b: unknown }).b
  if (
    !Array.isArray(lengths) ||
    !lengths.every((n): n is number => Number.isSafeInteger(n) && (n as number) >= 0)
  ) {
    throw new WireCodecError('"b" must be a list of blob lengths')
  }
  const blobArea = bytes.length - 4 - headerLength
  const sum = lengths.reduce((n, len) => n + len, 0)
  if (sum !== blobArea) {
    throw new WireCodecError(
      `blob lengths add up to ${sum} bytes but the frame carries ${blobArea}`
    )
  }
  const offsets: number[] = []
  let offset = 4 + headerLength
  for (const len of lengths) {
    offsets.push(offset)
    offset += len
  }
  const used = new Set<number>()

  const resolveBlob = (marker: Marker, index: unknown): unknown => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      throw new WireCodecError(`${marker} marker needs a blob index`)
    }
    const start = offsets[index]
    const len = lengths[index]
    if (start === undefined || len === undefined) {
      throw new WireCodecError(`${marker} marker names blob ${index} of ${lengths.length}`)
    }
    if (used.has(index)) throw new WireCodecError(`blob ${index} is referenced twice`)
    used.add(index)
    const view = bytes.subarray(start, start + len)
    if (marker === '$u8') return view
    if (marker === '$u8c') return new Uint8ClampedArray(view.buffer, view.byteOffset, len)
    return view.slice().buffer
  }

  const walk = (item: unknown, depth: number): unknown => {
    if (depth > MAX_WIRE_DEPTH) {
      throw new WireCodecError(`value nests deeper than ${MAX_WIRE_DEPTH} levels`)
    }
    if (typeof item !== 'object' || item === null) return item
    if (Array.isArray(item)) return item.map((x) => walk(x, depth + 1))
    const entries = Object.entries(item)
    const reserved = entries.filter(([k]) => k.startsWith('$') && !k.startsWith('$$'))
    if (reserved.length > 0) {
      const [first] = reserved
      const marker = MARKERS.find((m) => m === first?.[0])
      if (entries.length !== 1 || marker === undefined || first === undefined) {
        throw new WireCodecError(`unknown or malformed marker ${JSON.stringify(first?.[0])}`)
      }
      return resolveBlob(marker, first[1])
    }
    const out: Record<string, unknown> = {}
    for (const [key, child] of entries) {
      setOwn(out, key.startsWith('$$') ? key.slice(1) : key, walk(child, depth + 1))
    }
    return out
  }

  const value = walk((header as { v: unknown }).v, 0)
  if (used.size !== lengths.length) {
    throw new WireCodecError(`${lengths.length - used.size} blob(s) are not referenced`)
  }
  return value
}
