/**
 * Plain data ↔ JSON for run snapshot files. Float32 arrays leave the JSON for the file's binary
 * part (the tensor table: one entry per distinct array, so a tensor shared by several snapshots
 * is stored once); every other value stays in the JSON, tagged where JSON cannot say it exactly:
 * `{"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}`, `{"$u32": [...]}` (the generator's
 * words), `{"$f64": [...]}`.
 */

/** One float32 buffer of the file, as the header's tensor table lists it. */
export interface TensorTableEntry {
  /** Where the value sits in the snapshots, for people reading the header. */
  path: string
  /** Byte offset from the start of the data section (a multiple of 4). */
  offset: number
  /** Number of float32 values. */
  length: number
}

/** Collects the float32 buffers met while encoding. */
export class TensorTable {
  readonly entries: TensorTableEntry[] = []
  readonly buffers: Float32Array[] = []
  private readonly seen = new Map<Float32Array, number>()
  private bytes = 0

  add(data: Float32Array, path: string): number {
    const known = this.seen.get(data)
    if (known !== undefined) return known
    const index = this.entries.length
    this.entries.push({ path, offset: this.bytes, length: data.length })
    this.buffers.push(data)
    this.seen.set(data, index)
    this.bytes += data.byteLength
    return index
  }

  get byteLength(): number {
    return this.bytes
  }
}

function encodeNumber(n: number): unknown {
  if (Number.isNaN(n)) return { $num: 'NaN' }
  if (n === Number.POSITIVE_INFINITY) return { $num: 'Infinity' }
  if (n === Number.NEGATIVE_INFINITY) return { $num: '-Infinity' }
  if (Object.is(n, -0)) return { $num: '-0' }
  return n
}

/** Encodes a snapshot value into JSON, moving float32 arrays into `table`. */
export function encodeValue(value: unknown, path: string, table: TensorTable): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return encodeNumber(value)
  if (value instanceof Float32Array) return { $f32: table.add(value, path) }
  if (value instanceof Uint32Array) return { $u32: Array.from(value) }
  if (value instanceof Float64Array) return { $f64: Array.from(value, encodeNumber) }
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, `${path}[${i}]`, table))
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown
    if (proto === Object.prototype || proto === null) {
      const out: Record<string, unknown> = {}
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue
        if (key.startsWith('$'))
          throw new Error(`a run snapshot cannot hold a key ${key} (${path})`)
        out[key] = encodeValue(v, `${path}.${key}`, table)
      }
      return out
    }
  }
  const kind =
    typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value
  throw new Error(`a run snapshot cannot hold a ${kind} (${path})`)
}

/** Thrown for JSON that does not decode; the caller turns it into a file error. */
export class DecodeError extends Error {}

function decodeNumber(value: unknown, path: string): number {
  if (typeof value === 'number') return value
  const tag = (value as { $num?: unknown } | null)?.$num
  const named: Record<string, number> = {
    NaN: Number.NaN,
    Infinity: Number.POSITIVE_INFINITY,
    '-Infinity': Number.NEGATIVE_INFINITY,
    '-0': -0
  }
  if (typeof tag === 'string' && tag in named) return named[tag] as number
  throw new DecodeError(`${path} is not a number`)
}

/** Decodes JSON written by {@link encodeValue}; `tensors` are the file's float32 buffers. */
export function decodeValue(
  value: unknown,
  path: string,
  tensors: readonly Float32Array[]
): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, `${path}[${i}]`, tensors))
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length === 1) {
    const key = keys[0] as string
    const inner = record[key]
    if (key === '$f32') {
      const data = typeof inner === 'number' ? tensors[inner] : undefined
      if (data === undefined)
        throw new DecodeError(`${path} names tensor ${String(inner)}, which the table lacks`)
      return data
    }
    if (key === '$num') return decodeNumber(value, path)
    if (key === '$u32') {
      if (
        !Array.isArray(inner) ||
        inner.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)
      ) {
        throw new DecodeError(`${path} is not a list of 32-bit unsigned integers`)
      }
      return Uint32Array.from(inner as number[])
    }
    if (key === '$f64') {
      if (!Array.isArray(inner)) throw new DecodeError(`${path} is not a list of numbers`)
      return Float64Array.from(inner.map((n, i) => decodeNumber(n, `${path}[${i}]`)))
    }
  }
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    if (key.startsWith('$')) throw new DecodeError(`${path} has an unknown tag ${key}`)
    out[key] = decodeValue(record[key], `${path}.${key}`, tensors)
  }
  return out
}
