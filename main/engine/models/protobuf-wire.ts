/**
 * The protobuf wire format, as far as rewriting ONNX models needs it: a message is a list of
 * fields (number, wire type, value); length-delimited values stay views into the input, so
 * unchanged weights are never copied until the message is encoded again.
 */

/** One field of a protobuf message. */
export interface WireField {
  no: number
  /** 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
  wire: number
  /** Varint value (wire 0), else the raw bytes. */
  value: bigint | Uint8Array
}

/** Reads a varint at `pos`; returns it and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (let p = pos; p < buf.length && p < pos + 10; p++) {
    const b = buf[p] as number
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [result, p + 1]
    shift += 7n
  }
  throw new Error('truncated protobuf varint')
}

function varintBytes(value: bigint): number[] {
  const out: number[] = []
  // Negative int64 values are written as their 64-bit two's complement (10 bytes).
  let v = BigInt.asUintN(64, value)
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v !== 0n) b |= 0x80
    out.push(b)
  } while (v !== 0n)
  return out
}

/** Splits a message into its fields. */
export function decodeMessage(buf: Uint8Array): WireField[] {
  const fields: WireField[] = []
  let pos = 0
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos)
    const no = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [value, p2] = readVarint(buf, p1)
      fields.push({ no, wire, value })
      pos = p2
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1)
      const end = p2 + Number(len)
      if (end > buf.length) throw new Error('truncated protobuf field')
      fields.push({ no, wire, value: buf.subarray(p2, end) })
      pos = end
    } else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4
      fields.push({ no, wire, value: buf.subarray(p1, p1 + size) })
      pos = p1 + size
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`)
    }
  }
  return fields
}

/** Writes fields back into one message. */
export function encodeMessage(fields: readonly WireField[]): Uint8Array {
  const chunks: Uint8Array[] = []
  for (const f of fields) {
    const key = varintBytes(BigInt((f.no << 3) | f.wire))
    if (f.wire === 0) {
      chunks.push(Uint8Array.from([...key, ...varintBytes(f.value as bigint)]))
    } else if (f.wire === 2) {
      const bytes = f.value as Uint8Array
      chunks.push(Uint8Array.from([...key, ...varintBytes(BigInt(bytes.length))]), bytes)
    } else {
      chunks.push(Uint8Array.from(key), f.value as Uint8Array)
    }
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}

/** The varints of a packed repeated field (or of one unpacked element). */
export function varintList(field: WireField): bigint[] {
  if (field.wire === 0) return [field.value as bigint]
  const buf = field.value as Uint8Array
  const out: bigint[] = []
  let pos = 0
  while (pos < buf.length) {
    const [v, next] = readVarint(buf, pos)
    out.push(v)
    pos = next
  }
  return out
}

/** A length-delimited field's value as UTF-8 text. */
export function fieldText(field: WireField | undefined): string {
  return field === undefined || field.wire !== 2
    ? ''
    : new TextDecoder().decode(field.value as Uint8Array)
}
